/**
 * A flood of bogus bearer tokens from one client address: the TokenReviews the upstream receives are
 * bounded by authentication.tokenReview.limits (per client address and in total), what passes the
 * bounds is answered 429 with a Retry-After and a Status at once, and callers that need no review — a
 * client certificate, a token already cached — are served meanwhile. Tokens that cannot be valid (bad
 * characters; oversized ones do not get past the header limit) are refused without any TokenReview.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TOKENS, startAuthStack, type AuthStack, type RawResponse } from './support/auth-stack.js';

const LIMITS = { concurrent: 4, perSecond: 50, perClientConcurrent: 2, perClientPerSecond: 10 };
const FLOOD = 200;
const REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

describe('a flood of bogus bearer tokens', () => {
  let stack: AuthStack;
  const reviews = () => stack.sim.stats.requests().filter((r) => r.path === REVIEW_PATH).length;

  before(async () => {
    // A TTL long enough that the cached token is not revalidated while the flood lasts.
    stack = await startAuthStack({ mode: 'requestHeader', logLevel: 'warn', authentication: { tokenReview: { enabled: true, timeout: '2s', cacheTTL: '5m', limits: LIMITS } } });
  });
  after(async () => stack?.close());

  it('refuses tokens that cannot be valid without a TokenReview', async () => {
    const before = reviews();
    for (const token of ['not;a;token', 'tök', 'abc=def', `${'a'.repeat(8 * 1024)}!`]) {
      const r = await stack.fetch('/api', { headers: [`Authorization`, `Bearer ${token}`] });
      assert.equal(r.status, 401, `${token.slice(0, 20)}: ${r.body}`);
      assert.match((r.json as { message: string }).message, /cannot be valid/);
    }
    // Larger than Node's header limit (16 KiB): refused by the HTTP parser, with a Status too.
    const huge = await stack.fetch('/api', { headers: [`Authorization`, `Bearer ${'a'.repeat(17 * 1024)}`] });
    assert.equal(huge.status, 431);
    assert.equal((huge.json as { kind: string }).kind, 'Status');
    assert.equal(reviews(), before, 'no TokenReview');
  });
  it('costs the upstream a bounded number of TokenReviews; the rest get 429 with Retry-After at once', async () => {
    // A token user seen before the flood stays cached: it needs no review during it.
    assert.equal((await stack.fetch('/api', { headers: { Authorization: `Bearer ${TOKENS.bot}` } })).status, 200);
    const before = reviews();
    const started = performance.now();
    const flood = Array.from({ length: FLOOD }, () => stack.fetch('/api/v1/namespaces/default/configmaps', { headers: { Authorization: `Bearer bogus-${randomBytes(16).toString('hex')}` } }));
    // Served while the flood is on: a client certificate and the cached token.
    const [jane, bot] = await Promise.all([stack.fetch('/api/v1/namespaces/default/configmaps', { cert: stack.shared.pki.user }), stack.fetch('/api', { headers: { Authorization: `Bearer ${TOKENS.bot}` } })]);
    const answers: RawResponse[] = await Promise.all(flood);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(jane.status, 200, jane.body);
    assert.equal(bot.status, 200, bot.body);

    const made = reviews() - before;
    // The per-client bucket: 10 at once, then 10 a second while the flood lasts.
    const bound = LIMITS.perClientPerSecond + Math.ceil(LIMITS.perClientPerSecond * seconds);
    assert.ok(made <= bound, `${made} TokenReviews for ${FLOOD} bogus tokens in ${seconds.toFixed(1)} s (bound ${bound})`);
    const byStatus = new Map<number, RawResponse[]>();
    for (const a of answers) byStatus.set(a.status, [...(byStatus.get(a.status) ?? []), a]);
    assert.deepEqual([...byStatus.keys()].sort(), [401, 429], 'refused, or told to come back');
    assert.equal(byStatus.get(401)!.length, made, 'each review made refused its token');
    for (const throttled of byStatus.get(429)!) {
      const status = throttled.json as { kind: string; code: number; reason: string; details?: { retryAfterSeconds?: number } };
      assert.deepEqual([status.kind, status.code, status.reason], ['Status', 429, 'TooManyRequests']);
      assert.ok(Number(throttled.headers['retry-after']) >= 1);
      assert.equal(status.details?.retryAfterSeconds, Number(throttled.headers['retry-after']));
    }
    const metrics = await stack.registry.metrics();
    assert.match(metrics, new RegExp(`listgate_tokenreview_throttled_total\\{scope="client"\\} ${byStatus.get(429)!.length}`));
  });

});
