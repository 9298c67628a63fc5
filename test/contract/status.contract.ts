/**
 * The Status bodies listgate relays or reads: 400 (bad selectors, a namespace that disagrees with the
 * path), 401 (an unknown bearer token), 403 (RBAC's refusal of a resource, a named object, a path, an
 * impersonation), 404 (a missing object, namespace, resource or path), 409 (AlreadyExists, Conflict), 422
 * (invalid names) — exactly as the apiserver writes them; 410 is held by the LIST and WATCH contracts. And
 * API Priority and Fairness' 429, which is not a Status: plain text with Retry-After.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KeyPairPem } from '../../src/certs/pki.js';
import { createConfigMap, createNamespace, expectStatus, listRv, send, type ContractUpstream, type StatusBody } from './upstream.js';

const NS = 'contract-status';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

type Body = Omit<StatusBody, 'headers'>;
const failure = (code: number, reason: string, message: string, details?: Body['details']): Body => ({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code,
});

async function expectBody(up: ContractUpstream, path: string, expected: Body, opts: Parameters<typeof send>[2] = {}): Promise<void> {
  const { headers: _h, ...status } = await expectStatus(up, path, expected.code, opts);
  assert.deepEqual(status, expected, `${opts.method ?? 'GET'} ${path}`);
}

const RFC1123 =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export function statusContract(upstream: () => ContractUpstream): void {
  describe('Status bodies', () => {
    let jane: KeyPairPem;
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      await createConfigMap(up, NS, 'a');
      jane = await up.createUser('jane', ['dev']);
    });

    it('400 BadRequest: selectors the apiserver cannot use, a namespace that disagrees with the path', async () => {
      const up = upstream();
      await expectBody(up, '/api/v1/secrets?fieldSelector=spec.nodeName%3Dx', failure(400, 'BadRequest', 'field label not supported: spec.nodeName'));
      await expectBody(up, '/api/v1/configmaps?fieldSelector=spec.foo%3Dx', failure(400, 'BadRequest', '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'));
      await expectBody(up, '/api/v1/configmaps?fieldSelector=nonsense', failure(400, 'BadRequest', "invalid selector: 'nonsense'; can't understand 'nonsense'"));
      await expectBody(up, '/api/v1/configmaps?labelSelector=app%20in%20web', failure(400, 'BadRequest', "unable to parse requirement: found 'web' expected: '('"));
      await expectBody(up, CM, failure(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'), {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'elsewhere' } },
      });
    });

    it('401 Unauthorized for a bearer token nobody issued', async () => {
      await expectBody(upstream(), CM, failure(401, 'Unauthorized', 'Unauthorized'), { cert: null, headers: { Authorization: 'Bearer not-a-token' } });
    });

    it('403 Forbidden as RBAC refuses: a collection, a named object, another group, the cluster scope, a path, an impersonation', async () => {
      const up = upstream();
      const as = { cert: jane };
      await expectBody(up, CM, failure(403, 'Forbidden', `configmaps is forbidden: User "jane" cannot list resource "configmaps" in API group "" in the namespace "${NS}"`, { kind: 'configmaps' }), as);
      await expectBody(up, `${CM}/a`, failure(403, 'Forbidden', `configmaps "a" is forbidden: User "jane" cannot get resource "configmaps" in API group "" in the namespace "${NS}"`, { name: 'a', kind: 'configmaps' }), as);
      await expectBody(up, `/api/v1/namespaces/${NS}/pods/p/log`, failure(403, 'Forbidden', `pods "p" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "${NS}"`, { name: 'p', kind: 'pods' }), as);
      await expectBody(up, `/apis/apps/v1/namespaces/${NS}/deployments`, failure(403, 'Forbidden', `deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" in the namespace "${NS}"`, { group: 'apps', kind: 'deployments' }), as);
      await expectBody(up, '/api/v1/configmaps', failure(403, 'Forbidden', 'configmaps is forbidden: User "jane" cannot list resource "configmaps" in API group "" at the cluster scope', { kind: 'configmaps' }), as);
      await expectBody(up, '/metrics', failure(403, 'Forbidden', 'forbidden: User "jane" cannot get path "/metrics"', {}), as);
      await expectBody(up, CM, failure(403, 'Forbidden', 'users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope', { name: 'bob', kind: 'users' }), { cert: jane, headers: { 'Impersonate-User': 'bob' } });
      await expectBody(up, CM, failure(403, 'Forbidden', `serviceaccounts "x" is forbidden: User "jane" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "${NS}"`, { name: 'x', kind: 'serviceaccounts' }), {
        cert: jane,
        headers: { 'Impersonate-User': `system:serviceaccount:${NS}:x` },
      });
    });

    it('404 NotFound: an object, one in another group, a namespace to create in, a resource, a path', async () => {
      const up = upstream();
      await expectBody(up, `${CM}/missing`, failure(404, 'NotFound', 'configmaps "missing" not found', { name: 'missing', kind: 'configmaps' }));
      await expectBody(up, `${CM}/missing`, failure(404, 'NotFound', 'configmaps "missing" not found', { name: 'missing', kind: 'configmaps' }), { method: 'DELETE' });
      await expectBody(up, `/apis/apps/v1/namespaces/${NS}/deployments/missing`, failure(404, 'NotFound', 'deployments.apps "missing" not found', { name: 'missing', group: 'apps', kind: 'deployments' }));
      await expectBody(up, '/api/v1/namespaces/nowhere/configmaps', failure(404, 'NotFound', 'namespaces "nowhere" not found', { name: 'nowhere', kind: 'namespaces' }), {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      });
      await expectBody(up, `/api/v1/namespaces/${NS}/widgets`, failure(404, 'NotFound', 'the server could not find the requested resource', {}));
      const path = await send(up, '/apis/no.such.group/v1');
      assert.deepEqual([path.status, path.headers['content-type'], path.text], [404, 'text/plain; charset=utf-8', '404 page not found\n']);
    });

    it('409 Conflict: AlreadyExists on create, a stale resourceVersion on update', async () => {
      const up = upstream();
      await expectBody(up, CM, failure(409, 'AlreadyExists', 'configmaps "a" already exists', { name: 'a', kind: 'configmaps' }), {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      });
      const stale = String((await listRv(up, CM)) - 1);
      await expectBody(up, `${CM}/a`, failure(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again', { name: 'a', kind: 'configmaps' }), {
        method: 'PUT',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: stale } },
      });
    });

    it('422 Invalid: a name that is not a DNS subdomain, no name at all', async () => {
      const up = upstream();
      const cause = { reason: 'FieldValueInvalid', message: `Invalid value: "Bad_Name": ${RFC1123}`, field: 'metadata.name' };
      await expectBody(up, CM, failure(422, 'Invalid', `ConfigMap "Bad_Name" is invalid: metadata.name: ${cause.message}`, { name: 'Bad_Name', kind: 'ConfigMap', causes: [cause] }), {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
      });
      const required = { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' };
      await expectBody(up, CM, failure(422, 'Invalid', `ConfigMap "" is invalid: metadata.name: ${required.message}`, { kind: 'ConfigMap', causes: [required] }), {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      });
    });

    it("429 from API Priority and Fairness: plain text and Retry-After, while the user's level has a request executing", async () => {
      const up = upstream();
      await up.rejectRequestsOf('throttled');
      await up.grant({ kind: 'User', name: 'throttled' }, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }], NS);
      const throttled = await up.createUser('throttled');
      // A read of a future revision holds its seat while the watch cache waits for it (3 s).
      const holding = send(up, `${CM}?resourceVersion=${(await listRv(up, CM)) + 1_000_000}`, { cert: throttled });
      let refused: Awaited<ReturnType<typeof send>> | undefined;
      let settled = false;
      void holding.finally(() => (settled = true));
      while (!settled && !refused) {
        const res = await send(up, '/version', { cert: throttled });
        if (res.status === 429) refused = res;
      }
      assert.ok(refused, 'a second request of the level was refused while the first one executed');
      assert.equal((await holding).status, 504);
      assert.deepEqual([refused.headers['content-type'], refused.headers['x-content-type-options'], refused.text], ['text/plain; charset=utf-8', 'nosniff', 'Too many requests, please try again later.\n']);
      assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
    });
  });
}
