/**
 * How long a revoked token stays accepted, on an injected clock: a positive TokenReview result never
 * outlives the token's own `exp`, a busy token is revalidated in the background from half its TTL on
 * (so its client never waits for a review, and a revocation shows at the next read after the
 * revalidation answers), a failed revalidation leaves the entry to expire; and the shape checks that
 * refuse a token without any review.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenCache } from '../../src/auth/token-cache.js';
import { isPlausibleBearerToken, jwtExpiry, MAX_TOKEN_BYTES } from '../../src/auth/token-shape.js';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: 'RS256' })}.${b64url(claims)}.c2lnbmF0dXJl`;

interface Review {
  ok: boolean;
  n: number;
}

function setup(ttlMs = 10_000) {
  let clock = 1_700_000_000_000;
  const refreshed: string[] = [];
  let answer: boolean | Error = true;
  let lookups = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const cache = createTokenCache<Review>({
    positiveTtlMs: ttlMs,
    negativeTtlMs: 10_000,
    maxEntries: 100,
    now: () => clock,
    isPositive: (r) => r.ok,
    expiresAt: (_r, token) => jwtExpiry(token),
    onRefresh: (outcome) => refreshed.push(outcome),
  });
  const lookup = async (): Promise<Review> => {
    lookups++;
    if (hold) await new Promise<void>((r) => (release = r));
    if (answer instanceof Error) throw answer;
    return { ok: answer, n: lookups };
  };
  return {
    cache,
    lookup,
    refreshed,
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    answer: (a: boolean | Error) => (answer = a),
    hold: (h: boolean) => (hold = h),
    release: () => release?.(),
    lookups: () => lookups,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('token revalidation', () => {
  it("forgets an accepted token when its own exp passes, before the TTL", async () => {
    const t = setup();
    const token = jwt({ sub: 'system:serviceaccount:a:b', exp: Math.floor(t.now() / 1000) + 3 });
    await t.cache.getOrLookup(token, [], t.lookup);
    t.advance(2_999);
    assert.equal((await t.cache.getOrLookup(token, [], t.lookup)).hit, true);
    t.advance(1);
    assert.equal((await t.cache.getOrLookup(token, [], t.lookup)).hit, false, 'looked up again at exp');
    assert.equal(t.lookups(), 2);
  });

  it('does not cache an accepted token that has already expired', async () => {
    const t = setup();
    const token = jwt({ exp: Math.floor(t.now() / 1000) - 1 });
    await t.cache.getOrLookup(token, [], t.lookup);
    assert.equal(t.cache.size, 0);
  });

  it('revalidates a busy token in the background: reads never wait, a revocation shows at the next read', async () => {
    const t = setup(10_000);
    assert.equal((await t.cache.getOrLookup('tok', [], t.lookup)).hit, false);
    // A request every second for a minute: all answered from the cache, one review per half TTL.
    for (let s = 1; s <= 60; s++) {
      t.advance(1_000);
      const r = await t.cache.getOrLookup('tok', [], t.lookup);
      assert.equal(r.hit, true, `second ${s}`);
      assert.equal(r.value.ok, true);
      await settle();
    }
    assert.ok(t.lookups() >= 11 && t.lookups() <= 13, `about one review per 5 s (${t.lookups()})`);
    assert.ok(t.refreshed.every((o) => o === 'positive'));
    // Revoked: the next revalidation says so, and the read after it is refused.
    t.answer(false);
    const revokedAt = t.now();
    let refusedAt: number | undefined;
    for (let s = 1; s <= 20 && refusedAt === undefined; s++) {
      t.advance(1_000);
      if (!(await t.cache.getOrLookup('tok', [], t.lookup)).value.ok) refusedAt = t.now();
      await settle();
    }
    assert.ok(refusedAt !== undefined && refusedAt - revokedAt <= 6_000, `refused ${refusedAt! - revokedAt} ms after the revocation (half the TTL and one read)`);
  });

  it('keeps one revalidation at a time, and an entry whose revalidation failed until it expires', async () => {
    const t = setup(10_000);
    await t.cache.getOrLookup('tok', [], t.lookup);
    t.hold(true);
    t.advance(5_000);
    await t.cache.getOrLookup('tok', [], t.lookup);
    await t.cache.getOrLookup('tok', [], t.lookup);
    assert.equal(t.lookups(), 2, 'one revalidation in flight');
    t.answer(new Error('apiserver down'));
    t.release();
    await settle();
    assert.deepEqual(t.refreshed, ['error']);
    t.hold(false);
    t.answer(true);
    t.advance(4_999);
    const before = t.lookups();
    assert.equal((await t.cache.getOrLookup('tok', [], t.lookup)).hit, true, 'still cached after a failed revalidation');
    await settle();
    assert.equal(t.lookups(), before + 1, 'and revalidated again on this read');
  });
});

describe('token shape', () => {
  const plausible = ['abcdef.0123456789abcdef', jwt({ exp: 1 }), 'a+b/c==', 'x'.repeat(MAX_TOKEN_BYTES)];
  const impossible = ['', 'a b', 'tok"en', 'tok;en', 'tök', '==abc', 'x'.repeat(MAX_TOKEN_BYTES + 1), 'a=b'];
  for (const token of plausible) it(`accepts ${token.slice(0, 30)}`, () => assert.equal(isPlausibleBearerToken(token), true));
  for (const token of impossible) it(`refuses ${JSON.stringify(token.slice(0, 30))} (${token.length} chars)`, () => assert.equal(isPlausibleBearerToken(token), false));
  it('reads a JWT exp, and nothing from what is not a JWT', () => {
    assert.equal(jwtExpiry(jwt({ exp: 1_800_000_000 })), 1_800_000_000_000);
    for (const token of ['abc', 'a.b.c', `${b64url({})}.${b64url({ exp: 'soon' })}.x`, `a.${b64url([1])}.c`]) assert.equal(jwtExpiry(token), undefined, token);
  });
});
