/**
 * Authorize before admission, on a real kube-apiserver: a LIST that would weigh on the budget is checked
 * with a SubjectAccessReview as the caller first. jane without `list` on Secrets in a namespace gets the
 * apiserver's own 403 (the same Status a direct request gets), never a 429, and nothing in any body or
 * metric tells her how many Secrets there are; granted `list`, she passes authorization and meets
 * admission (429 while the budget cannot hold her list, her list once it can). The same holds for a
 * caller who asks to be jane (kubectl --as), and in impersonate mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNamespace, grant, seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayIdentityMode, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type ClusterUser, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl } from '../support/kubectl.js';
import type { FetchResult } from '../support/simulator-fixture.js';

const NAMESPACE = 'vault';
const SECRETS = 7;

/** Admission that can never hold a LIST of the seeded Secrets, and weighs every request. */
const TINY_BUDGET = { admission: { budget: '4Ki', smallRequestBytes: 0 }, authorization: { cacheTTL: '0' } };

function statusOf(r: FetchResult): { code: number; reason: string; message: string; details?: unknown } {
  const s = r.json as { kind: string; code: number; reason: string; message: string; details?: unknown };
  assert.equal(s.kind, 'Status', r.text);
  return { code: s.code, reason: s.reason, message: s.message, ...(s.details ? { details: s.details } : {}) };
}

async function metricSum(gw: GatewayOnApiserver, name: string): Promise<number> {
  const text = await (await fetch(`${gw.opsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

for (const mode of ['requestHeader', 'impersonate'] as GatewayIdentityMode[]) {
  describe(`authorize before admission (real kube-apiserver, ${mode} mode)`, () => {
    let kube: KubeApiserver;
    let gw: GatewayOnApiserver;
    let jane: ClusterUser;
    let home: string;

    before(async () => {
      kube = await startKubeApiserver();
      await createNamespace(kube, NAMESPACE);
      await seedSecrets(kube, { namespace: NAMESPACE, count: SECRETS, dataBytes: 4096 });
      jane = await kube.createUser('jane', ['developers']);
      // jane may read Secrets one by one, never list them.
      await grant(kube, { kind: 'User', name: 'jane' }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }], NAMESPACE);
      gw = await startGatewayOnApiserver(kube, { mode, overrides: TINY_BUDGET });
      home = mkdtempSync(join(tmpdir(), 'listgate-authz-'));
    });
    after(async () => {
      await gw?.close();
      await kube?.stop();
      rmSync(home, { recursive: true, force: true });
    });

    const path = `/api/v1/namespaces/${NAMESPACE}/secrets`;

    it('answers jane without list with the apiserver\'s own 403, never a 429, and counts nothing', async () => {
      const direct = await kube.request(path, { cert: jane });
      assert.equal(direct.status, 403);
      const rejectionsBefore = await metricSum(gw, 'listgate_admission_rejections_total');
      for (let i = 0; i < 3; i++) {
        const through = await gw.request(path, jane);
        assert.equal(through.status, 403, through.text);
        assert.deepEqual(statusOf(through), statusOf(direct), 'the same Status the apiserver gives');
        assert.equal(statusOf(through).message, `secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "${NAMESPACE}"`);
        assert.equal(through.headers['retry-after'], undefined);
        assert.doesNotMatch(through.text, new RegExp(`\\b${SECRETS}\\b|budget|[0-9.]+ ?[KMG]i?B|objects`), 'no count, size or budget in the body');
      }
      assert.equal(await metricSum(gw, 'listgate_admission_rejections_total'), rejectionsBefore, 'no 429 counted');
      assert.equal(await metricSum(gw, 'listgate_admission_leases'), 0);
      const kubectl = await runKubectl(['get', 'secrets', '-n', NAMESPACE, '--chunk-size=0'], { kubeconfig: await gw.kubeconfigFor(jane, 'jane'), home });
      assert.notEqual(kubectl.code, 0);
      assert.match(kubectl.stderr, /Error from server \(Forbidden\): secrets is forbidden: User "jane" cannot list resource "secrets"/);
    });

    it('checks whom a caller asks to be (kubectl --as jane) the same way', async () => {
      const ops = await kube.createUser('ops', ['operators']);
      await grant(kube, { kind: 'User', name: 'ops' }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], NAMESPACE);
      await grant(kube, { kind: 'User', name: 'ops' }, [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }]);
      let asSelf = await gw.request(path, ops);
      for (let i = 0; asSelf.status === 403 && i < 50; i++) asSelf = await gw.request(path, ops);
      assert.equal(asSelf.status, 429, 'ops may list: admission decides, and its budget cannot hold the list');
      const asJane = await gw.request(path, ops, { headers: { 'Impersonate-User': 'jane', 'Impersonate-Group': 'developers' } });
      assert.equal(asJane.status, 403, asJane.text);
      assert.match(statusOf(asJane).message, /^secrets is forbidden: User "jane" cannot list resource "secrets"/);
    });

    it('lets jane through once she may list: admission decides (429 with a tiny budget, her list with room)', async () => {
      await grant(kube, { kind: 'User', name: 'jane' }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], NAMESPACE);
      let refused = await gw.request(path, jane);
      // RBAC reads its grants from an informer: allow it a moment.
      for (let i = 0; refused.status === 403 && i < 50; i++) refused = await gw.request(path, jane);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(statusOf(refused).reason, 'TooManyRequests');
      assert.deepEqual(gw.reload({ admission: { budget: '64Mi' } }), []);
      const listed = await gw.request(path, jane);
      assert.equal(listed.status, 200, listed.text);
      assert.equal((listed.json as { items: unknown[] }).items.length, SECRETS);
    });
  });
}
