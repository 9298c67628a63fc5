/**
 * The simulator as the upstream the gateway forwards to: it trusts a front proxy's request headers only
 * with a front-proxy certificate (and an allowed CN), ignores them otherwise, lets only system:masters and
 * configured impersonators impersonate (403 like the apiserver), and answers SubjectAccessReviews from
 * the same rule. The request log keeps the identity each request was served as.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDevPki, type DevPki } from '../../src/certs/dev-pki.js';
import { issueClientCert } from '../../src/certs/pki.js';
import { createSimulator } from '../../src/simulator/simulator.js';
import { fetchSim, type TestSimulator } from '../support/simulator-fixture.js';

interface Review {
  status: { userInfo?: Record<string, unknown>; allowed?: boolean };
}

const WHOAMI = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

describe('simulator: front proxy, impersonation and SubjectAccessReview', () => {
  let pki: DevPki;
  let t: TestSimulator;
  before(async () => {
    pki = createDevPki();
    const sim = createSimulator({
      tls: { certPem: pki.apiserver.certPem, keyPem: pki.apiserver.keyPem, clientCaPem: pki.ca.certPem },
      frontProxy: { caPem: pki.frontProxyCa.certPem, allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User', 'X-Fwd-User'] },
      impersonators: ['robot'],
      seed: { namespaces: 0, secrets: 1, secretSize: 8, configmaps: 0, pods: 0 },
    });
    const port = await sim.listen(0);
    t = { url: `https://127.0.0.1:${port}`, port, caPem: pki.ca.certPem, admin: pki.admin, sim, close: () => sim.close() };
  });
  after(() => t?.close());

  const whoami = async (cert: { certPem: string; keyPem: string } | null, headers: Record<string, string> = {}) => {
    const r = await fetchSim(t, WHOAMI, { method: 'POST', body: {}, cert, headers });
    return { status: r.status, userInfo: (r.json as Review).status?.userInfo, json: r.json };
  };

  it('takes the identity from request headers sent with the front-proxy certificate', async () => {
    const r = await whoami(pki.frontProxyClient, {
      'X-Remote-User': 'jane',
      'X-Remote-Group': 'developers',
      'X-Remote-Uid': 'uid-7',
      'X-Remote-Extra-Acme.com%2Fproject': 'blue',
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.userInfo, { username: 'jane', uid: 'uid-7', groups: ['developers', 'system:authenticated'], extra: { 'acme.com/project': ['blue'] } });
    const seen = t.sim.stats.requests().at(-1)!;
    assert.deepEqual([seen.user, seen.groups, seen.uid, seen.code], ['jane', ['developers', 'system:authenticated'], 'uid-7', 201]);
  });

  it('reads every configured username header in order and every group line', async () => {
    const raw = await fetchSim(t, '/api/v1/namespaces', { cert: pki.frontProxyClient, headers: { 'X-Fwd-User': 'bob' } });
    assert.equal(raw.status, 200);
    assert.equal(t.sim.stats.requests().at(-1)!.user, 'bob');
  });

  it('ignores request headers without a front-proxy certificate, or from a CN not allowed', async () => {
    const asUser = await whoami(pki.user, { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' });
    assert.equal(asUser.status, 201);
    assert.equal(asUser.userInfo?.username, 'jane', 'a client-CA certificate is its own CN, whatever the headers say');
    const stranger = issueClientCert(pki.frontProxyCa, { commonName: 'not-the-proxy' });
    assert.equal((await whoami(stranger, { 'X-Remote-User': 'jane' })).status, 401);
    assert.equal((await whoami(pki.frontProxyClient)).status, 401, 'a front-proxy certificate without a user header names no one');
  });

  it('lets system:masters and configured impersonators impersonate, and refuses others with 403', async () => {
    const asBob = { 'Impersonate-User': 'bob', 'Impersonate-Group': 'team-b' };
    const admin = await whoami(pki.admin, asBob);
    assert.deepEqual(admin.userInfo, { username: 'bob', groups: ['team-b', 'system:authenticated'] });
    const robot = await whoami(issueClientCert(pki.ca, { commonName: 'robot' }), asBob);
    assert.equal(robot.userInfo?.username, 'bob');
    const jane = await whoami(pki.user, asBob);
    assert.equal(jane.status, 403);
    assert.deepEqual(jane.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden',
      message: 'users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
      details: { name: 'bob', kind: 'users' },
    });
    const seen = t.sim.stats.requests().at(-1)!;
    assert.deepEqual([seen.user, seen.code], ['jane', 403], 'a refused impersonation is logged as the requester');
    const viaProxy = await whoami(pki.frontProxyClient, { 'X-Remote-User': 'jane', 'Impersonate-User': 'bob' });
    assert.equal(viaProxy.status, 403, 'impersonation through the front proxy is checked against the real caller');
  });

  it('answers SubjectAccessReviews from the same rule', async () => {
    const sar = async (spec: Record<string, unknown>) => {
      const r = await fetchSim(t, '/apis/authorization.k8s.io/v1/subjectaccessreviews', { method: 'POST', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
      assert.equal(r.status, 201);
      return (r.json as Review).status.allowed;
    };
    const impersonateBob = { verb: 'impersonate', resource: 'users', name: 'bob' };
    assert.equal(await sar({ user: 'jane', groups: ['developers'], resourceAttributes: impersonateBob }), false);
    assert.equal(await sar({ user: 'root', groups: ['system:masters'], resourceAttributes: impersonateBob }), true);
    assert.equal(await sar({ user: 'robot', groups: [], resourceAttributes: impersonateBob }), true);
    assert.equal(await sar({ user: 'jane', groups: ['developers'], resourceAttributes: { verb: 'list', resource: 'secrets' } }), true);
  });
});
