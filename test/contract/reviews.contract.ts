/**
 * The review APIs listgate's authentication and authorization use: SelfSubjectReview (who am I, for a
 * certificate and a service-account token), SelfSubjectAccessReview and SubjectAccessReview (request and
 * response shapes, an allowed and a denied case, the 403 and 422 they answer), and TokenReview (a valid
 * token with its audiences, audiences that do not fit, an unknown token, none at all).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KeyPairPem } from '../../src/certs/pki.js';
import { createNamespace, expectStatus, send, type ContractUpstream } from './upstream.js';

const NS = 'contract-reviews';
const AUTHN = '/apis/authentication.k8s.io/v1';
const AUTHZ = '/apis/authorization.k8s.io/v1';

interface Review {
  kind: string;
  apiVersion: string;
  spec: Record<string, unknown>;
  status: Record<string, unknown> & { allowed?: boolean; reason?: string; userInfo?: { username: string; groups: string[] } };
}

async function create(up: ContractUpstream, path: string, body: object, cert?: KeyPairPem | null, headers?: Record<string, string>): Promise<Review> {
  const res = await send(up, path, { method: 'POST', body, ...(cert !== undefined ? { cert } : {}), ...(headers ? { headers } : {}) });
  assert.equal(res.status, 201, `POST ${path} on the ${up.kind}: ${res.text.slice(0, 400)}`);
  return res.json as Review;
}

const ssar = (resourceAttributes: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });
const sar = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
const tokenReview = (spec: object) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec });
const SELF = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

export function reviewsContract(upstream: () => ContractUpstream): void {
  describe('review APIs', () => {
    let jane: KeyPairPem;
    let token: string;
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      jane = await up.createUser('jane', ['dev']);
      token = await up.serviceAccountToken(NS, 'bot');
      await up.grant({ kind: 'Group', name: 'dev' }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }], NS);
    });

    it('SelfSubjectReview: the caller of a certificate and of a service-account token', async () => {
      const up = upstream();
      const mine = await create(up, `${AUTHN}/selfsubjectreviews`, SELF, jane);
      assert.deepEqual([mine.kind, mine.apiVersion], ['SelfSubjectReview', 'authentication.k8s.io/v1']);
      assert.deepEqual([mine.status.userInfo?.username, mine.status.userInfo?.groups], ['jane', ['dev', 'system:authenticated']]);
      const bot = await create(up, `${AUTHN}/selfsubjectreviews`, SELF, null, { Authorization: `Bearer ${token}` });
      assert.deepEqual([bot.status.userInfo?.username, bot.status.userInfo?.groups], [`system:serviceaccount:${NS}:bot`, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']]);
    });

    it('SelfSubjectAccessReview: allowed by a grant, denied without one (no reason), the spec echoed, 422 without attributes', async () => {
      const up = upstream();
      const list = { namespace: NS, verb: 'list', resource: 'secrets' };
      const allowed = await create(up, `${AUTHZ}/selfsubjectaccessreviews`, ssar(list), jane);
      assert.deepEqual([allowed.kind, allowed.apiVersion, allowed.spec, allowed.status.allowed], ['SelfSubjectAccessReview', 'authorization.k8s.io/v1', { resourceAttributes: list }, true]);
      const remove = { namespace: NS, verb: 'delete', resource: 'secrets' };
      assert.deepEqual((await create(up, `${AUTHZ}/selfsubjectaccessreviews`, ssar(remove), jane)).status, { allowed: false });
      const bot = await create(up, `${AUTHZ}/selfsubjectaccessreviews`, ssar(list), null, { Authorization: `Bearer ${token}` });
      assert.deepEqual(bot.status, { allowed: false }, 'the service account has no grant');
      const discovery = await create(up, `${AUTHZ}/selfsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/api', verb: 'get' } } }, jane);
      assert.equal(discovery.status.allowed, true, 'every authenticated user may read discovery');
      const { headers: _h, ...invalid } = await expectStatus(up, `${AUTHZ}/selfsubjectaccessreviews`, 422, { method: 'POST', cert: jane, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} } });
      const cause = { reason: 'FieldValueInvalid', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec.resourceAttributes' };
      assert.deepEqual(invalid, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `.authorization.k8s.io "" is invalid: spec.resourceAttributes: ${cause.message}`, reason: 'Invalid', details: { group: 'authorization.k8s.io', causes: [cause] }, code: 422 });
    });

    it('SubjectAccessReview: allowed and denied for another user, impersonation for system:masters only, 403 for a caller without the grant, 422 without a user', async () => {
      const up = upstream();
      const get = { namespace: NS, verb: 'get', resource: 'secrets', name: 'x' };
      const allowed = await create(up, `${AUTHZ}/subjectaccessreviews`, sar({ user: 'jane', groups: ['dev'], resourceAttributes: get }));
      assert.deepEqual([allowed.kind, allowed.apiVersion, allowed.spec, allowed.status.allowed], ['SubjectAccessReview', 'authorization.k8s.io/v1', { user: 'jane', groups: ['dev'], resourceAttributes: get }, true]);
      assert.deepEqual((await create(up, `${AUTHZ}/subjectaccessreviews`, sar({ user: 'jane', groups: ['dev'], resourceAttributes: { ...get, verb: 'delete' } }))).status, { allowed: false });
      const impersonate = { verb: 'impersonate', resource: 'users', name: 'bob' };
      assert.deepEqual((await create(up, `${AUTHZ}/subjectaccessreviews`, sar({ user: 'jane', resourceAttributes: impersonate }))).status, { allowed: false });
      assert.equal((await create(up, `${AUTHZ}/subjectaccessreviews`, sar({ user: 'root', groups: ['system:masters'], resourceAttributes: impersonate }))).status.allowed, true);

      const forbidden = await expectStatus(up, `${AUTHZ}/subjectaccessreviews`, 403, { method: 'POST', cert: jane, body: sar({ user: 'jane', resourceAttributes: get }) });
      assert.equal(forbidden.message, 'subjectaccessreviews.authorization.k8s.io is forbidden: User "jane" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope');
      assert.deepEqual(forbidden.details, { group: 'authorization.k8s.io', kind: 'subjectaccessreviews' });
      const { headers: _h, ...invalid } = await expectStatus(up, `${AUTHZ}/subjectaccessreviews`, 422, { method: 'POST', body: sar({ resourceAttributes: get }) });
      const cause = { reason: 'FieldValueInvalid', message: 'Invalid value: "": at least one of user or group must be specified', field: 'spec.user' };
      assert.deepEqual(invalid, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `.authorization.k8s.io "" is invalid: spec.user: ${cause.message}`, reason: 'Invalid', details: { group: 'authorization.k8s.io', causes: [cause] }, code: 422 });
    });

    it('TokenReview: a valid token and its audiences, audiences it does not carry, an unknown token, none', async () => {
      const up = upstream();
      const user = { username: `system:serviceaccount:${NS}:bot`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] };
      const valid = await create(up, `${AUTHN}/tokenreviews`, tokenReview({ token }));
      assert.deepEqual([valid.kind, valid.apiVersion, valid.spec], ['TokenReview', 'authentication.k8s.io/v1', { token }]);
      const status = valid.status as { authenticated?: boolean; user: { username: string; groups: string[] }; audiences?: string[] };
      assert.deepEqual([status.authenticated, status.user.username, status.user.groups, status.audiences], [true, user.username, user.groups, up.apiAudiences]);
      const narrowed = await create(up, `${AUTHN}/tokenreviews`, tokenReview({ token, audiences: ['other', ...up.apiAudiences] }));
      assert.deepEqual((narrowed.status as { audiences?: string[] }).audiences, up.apiAudiences);
      const elsewhere = await create(up, `${AUTHN}/tokenreviews`, tokenReview({ token, audiences: ['other'] }));
      assert.deepEqual([elsewhere.status['authenticated'], elsewhere.status['user']], [undefined, {}]);
      assert.match(String(elsewhere.status['error']), /invalid/);
      const unknown = await create(up, `${AUTHN}/tokenreviews`, tokenReview({ token: 'not-a-token' }));
      assert.deepEqual(unknown.status, { user: {}, error: 'invalid bearer token' });
      const none = await expectStatus(up, `${AUTHN}/tokenreviews`, 400, { method: 'POST', body: tokenReview({}) });
      assert.deepEqual([none.reason, none.message], ['BadRequest', 'token is required for TokenReview in authentication']);
      const byJane = await expectStatus(up, `${AUTHN}/tokenreviews`, 403, { method: 'POST', cert: jane, body: tokenReview({ token }) });
      assert.equal(byJane.message, 'tokenreviews.authentication.k8s.io is forbidden: User "jane" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope');
    });
  });
}
