/**
 * The TokenReview cache: positive and negative TTLs on an injected clock, the size bound (least recently
 * used first), keys that are HMAC digests (never the token), audiences in the key, concurrent lookups
 * sharing one review, and errors never cached. Then the token authenticator's cache metric.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createAuthMetrics } from '../../src/auth/auth-metrics.js';
import { createTokenAuthenticator } from '../../src/auth/token-authenticator.js';
import { createTokenCache } from '../../src/auth/token-cache.js';
import type { TokenReviewResult } from '../../src/auth/token-review.js';

interface Result {
  ok: boolean;
  n: number;
}

function setup(opts: { positiveTtlMs?: number; negativeTtlMs?: number; maxEntries?: number } = {}) {
  let clock = 1_000_000;
  const cache = createTokenCache<Result>({
    positiveTtlMs: opts.positiveTtlMs ?? 120_000,
    negativeTtlMs: opts.negativeTtlMs ?? 10_000,
    maxEntries: opts.maxEntries ?? 100,
    now: () => clock,
    isPositive: (r) => r.ok,
    // Background revalidation has its own tests (token-revalidation.test.ts).
    refreshAfter: 1,
  });
  let lookups = 0;
  const lookup = (ok: boolean) => async () => ({ ok, n: ++lookups });
  return { cache, lookup, advance: (ms: number) => (clock += ms), lookups: () => lookups };
}

describe('token cache', () => {
  it('keeps an authenticated result for the positive TTL, and no longer', async () => {
    const t = setup();
    assert.deepEqual(await t.cache.getOrLookup('tok', [], t.lookup(true)), { value: { ok: true, n: 1 }, hit: false });
    t.advance(119_999);
    assert.deepEqual(await t.cache.getOrLookup('tok', [], t.lookup(true)), { value: { ok: true, n: 1 }, hit: true });
    t.advance(1);
    assert.deepEqual(await t.cache.getOrLookup('tok', [], t.lookup(true)), { value: { ok: true, n: 2 }, hit: false });
  });

  it('keeps a refusal only for the negative TTL', async () => {
    const t = setup();
    await t.cache.getOrLookup('bad', [], t.lookup(false));
    t.advance(9_999);
    assert.equal((await t.cache.getOrLookup('bad', [], t.lookup(false))).hit, true);
    t.advance(1);
    assert.equal((await t.cache.getOrLookup('bad', [], t.lookup(false))).hit, false);
    assert.equal(t.lookups(), 2);
  });

  it('caches nothing with a TTL of 0 or a size of 0', async () => {
    for (const opts of [{ positiveTtlMs: 0 }, { maxEntries: 0 }]) {
      const t = setup(opts);
      await t.cache.getOrLookup('tok', [], t.lookup(true));
      await t.cache.getOrLookup('tok', [], t.lookup(true));
      assert.equal(t.lookups(), 2, JSON.stringify(opts));
      assert.equal(t.cache.size, 0);
    }
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const t = setup({ maxEntries: 3 });
    for (const tok of ['a', 'b', 'c']) await t.cache.getOrLookup(tok, [], t.lookup(true));
    await t.cache.getOrLookup('a', [], t.lookup(true)); // a is now the most recent
    await t.cache.getOrLookup('d', [], t.lookup(true)); // evicts b
    assert.equal(t.cache.size, 3);
    assert.equal((await t.cache.getOrLookup('a', [], t.lookup(true))).hit, true);
    assert.equal((await t.cache.getOrLookup('b', [], t.lookup(true))).hit, false);
  });

  it('keys are HMAC digests: never the token, different per audience list', async () => {
    const t = setup();
    const token = 'eyJhbGciOiJSUzI1NiJ9.secret-payload.signature';
    await t.cache.getOrLookup(token, [], t.lookup(true));
    await t.cache.getOrLookup(token, ['https://listgate'], t.lookup(true));
    const keys = t.cache.keys();
    assert.equal(keys.length, 2, 'audiences are part of the key');
    for (const key of keys) {
      assert.match(key, /^[0-9a-f]{64}$/);
      assert.ok(!key.includes(token) && !key.includes('secret-payload'));
    }
    const other = setup();
    await other.cache.getOrLookup(token, [], other.lookup(true));
    assert.notEqual(other.cache.keys()[0], keys[0], 'the HMAC key is per cache instance');
  });

  it('shares one lookup between concurrent callers, and never caches an error', async () => {
    const t = setup();
    let release: (r: Result) => void = () => undefined;
    let calls = 0;
    const slow = () => {
      calls++;
      return new Promise<Result>((resolve) => (release = resolve));
    };
    const both = Promise.all([t.cache.getOrLookup('tok', [], slow), t.cache.getOrLookup('tok', [], slow)]);
    release({ ok: true, n: 7 });
    const [first, second] = await both;
    assert.equal(calls, 1);
    assert.deepEqual([first.value.n, first.hit, second.value.n, second.hit], [7, false, 7, true]);

    const failing = async (): Promise<Result> => {
      calls++;
      throw new Error('apiserver down');
    };
    await assert.rejects(t.cache.getOrLookup('err', [], failing));
    await assert.rejects(t.cache.getOrLookup('err', [], failing));
    assert.equal(calls, 3, 'each failed lookup is retried');
  });
});

describe('token authenticator', () => {
  it('reviews a token once within the TTL and counts hits and misses', async () => {
    const registry = new Registry();
    let reviews = 0;
    const user = { username: 'ci-bot', groups: ['ci', 'system:authenticated'], extra: {} };
    const tokens = createTokenAuthenticator({
      reviewer: { review: async (token): Promise<TokenReviewResult> => (reviews++, token === 'good' ? { authenticated: true, user } : { authenticated: false, reason: 'denied' }) },
      config: { enabled: true, audiences: [], cacheTtlMs: 60_000, negativeCacheTtlMs: 5_000, cacheSize: 10, timeoutMs: 1000, limits: { concurrent: 32, perSecond: 200, perClientConcurrent: 4, perClientPerSecond: 20 } },
      metrics: createAuthMetrics(registry),
    });
    for (let i = 0; i < 3; i++) assert.deepEqual(await tokens.authenticate('good'), { authenticated: true, user });
    assert.equal((await tokens.authenticate('bad')).authenticated, false);
    assert.equal(reviews, 2);
    const text = await registry.metrics();
    assert.match(text, /listgate_tokenreview_cache_total\{result="hit"\} 2/);
    assert.match(text, /listgate_tokenreview_cache_total\{result="miss"\} 2/);
  });
});
