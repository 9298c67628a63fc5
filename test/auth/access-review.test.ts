/**
 * The SubjectAccessReview cache (createAccessReviewer) with an injected clock and a counting reviewer
 * call: answers kept for their TTL and keyed by the whole spec, the size bounded, concurrent identical
 * reviews shared, failures never cached; and the Forbidden message as the apiserver words it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccessReviewer, reviewSpec, ReviewUnavailableError, type ReviewCall } from '../../src/auth/access-review.js';
import type { UserInfo } from '../../src/auth/user-info.js';
import { forbiddenParams } from '../../src/gateway/authorize-step.js';
import { GatewayError } from '../../src/errors.js';

const jane: UserInfo = { username: 'jane', groups: ['dev', 'system:authenticated'], extra: {} };
const list = { verb: 'list', group: '', version: 'v1', resource: 'secrets', namespace: 'x' };

function countingCall(decide: (spec: Record<string, unknown>) => boolean): { call: ReviewCall; specs: Record<string, unknown>[] } {
  const specs: Record<string, unknown>[] = [];
  return {
    specs,
    call: (spec) => {
      specs.push(spec);
      return Promise.resolve({ allowed: decide(spec), reason: '' });
    },
  };
}

describe('createAccessReviewer', () => {
  it('keeps an answer for its TTL, then asks again', async () => {
    let clock = 0;
    const { call, specs } = countingCall(() => false);
    const reviewer = createAccessReviewer({ call, ttlMs: 10_000, maxEntries: 10, now: () => clock });
    assert.deepEqual(await reviewer.review(jane, list), { allowed: false, reason: '', cached: false });
    clock = 9_999;
    assert.deepEqual(await reviewer.review(jane, list), { allowed: false, reason: '', cached: true });
    clock = 10_000;
    assert.equal((await reviewer.review(jane, list)).cached, false);
    assert.equal(specs.length, 2);
  });

  it('keys by the whole review: user, groups, uid, extra and every attribute', async () => {
    const { call, specs } = countingCall((spec) => (spec.groups as string[]).includes('admins'));
    const reviewer = createAccessReviewer({ call, ttlMs: 60_000, maxEntries: 100 });
    const variants: [UserInfo, typeof list][] = [
      [jane, list],
      [{ ...jane, groups: ['admins'] }, list],
      [{ ...jane, uid: 'u1' }, list],
      [{ ...jane, extra: { scopes: ['a'] } }, list],
      [jane, { ...list, namespace: 'y' }],
      [jane, { ...list, verb: 'watch' }],
      [jane, { ...list, resource: 'configmaps' }],
    ];
    const answers = [];
    for (const [user, attrs] of variants) answers.push((await reviewer.review(user, attrs)).allowed);
    assert.deepEqual(answers, [false, true, false, false, false, false, false]);
    assert.equal(specs.length, variants.length, 'no answer was reused for a different review');
    assert.deepEqual(specs[0], { user: 'jane', groups: ['dev', 'system:authenticated'], extra: {}, resourceAttributes: { verb: 'list', version: 'v1', resource: 'secrets', namespace: 'x' } });
    assert.deepEqual(reviewSpec({ ...jane, uid: 'u1' }, { verb: 'get', path: '/metrics' }), { user: 'jane', uid: 'u1', groups: ['dev', 'system:authenticated'], extra: {}, nonResourceAttributes: { path: '/metrics', verb: 'get' } });
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const { call, specs } = countingCall(() => true);
    const reviewer = createAccessReviewer({ call, ttlMs: 60_000, maxEntries: 2 });
    const ns = (namespace: string) => ({ ...list, namespace });
    await reviewer.review(jane, ns('a'));
    await reviewer.review(jane, ns('b'));
    await reviewer.review(jane, ns('a')); // a is now the most recent
    await reviewer.review(jane, ns('c')); // evicts b
    assert.equal(reviewer.size, 2);
    assert.equal((await reviewer.review(jane, ns('a'))).cached, true);
    assert.equal((await reviewer.review(jane, ns('b'))).cached, false);
    assert.equal(specs.length, 4);
  });

  it('shares one review among concurrent identical ones, and never caches a failure', async () => {
    let calls = 0;
    let fail = true;
    const reviewer = createAccessReviewer({
      call: async () => {
        calls++;
        await new Promise((r) => setImmediate(r));
        if (fail) throw new ReviewUnavailableError('SubjectAccessReview failed: ECONNREFUSED');
        return { allowed: true, reason: '' };
      },
      ttlMs: 60_000,
      maxEntries: 10,
    });
    const results = await Promise.allSettled([reviewer.review(jane, list), reviewer.review(jane, list), reviewer.review(jane, list)]);
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof ReviewUnavailableError));
    fail = false;
    assert.equal((await reviewer.review(jane, list)).allowed, true);
    assert.equal(calls, 2, 'the failure was not cached');
  });
});

describe('the Forbidden message', () => {
  const rows: [string, Parameters<typeof forbiddenParams>[1], string, string][] = [
    ['namespaced list', list, '', 'secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "x"'],
    ['cluster-wide, grouped', { verb: 'list', group: 'apps', resource: 'deployments' }, '', 'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope'],
    ['named with subresource and reason', { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'x', name: 'p' }, 'no RBAC', 'pods "p" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "x": no RBAC'],
    ['non-resource', { verb: 'get', path: '/metrics' }, '', 'forbidden: User "jane" cannot get path "/metrics"'],
  ];
  for (const [name, attrs, reason, message] of rows) {
    it(name, () => assert.equal(new GatewayError('forbidden', forbiddenParams('jane', attrs, reason)).message, message));
  }
});
