/**
 * kubectl 1.32 and an @kubernetes/client-node informer through listgate in front of a real kube-apiserver
 * 1.32.6, in each identity mode: the real RBAC decides (its 403 relayed as its own Status), `--as` is
 * checked where the mode says, tokens made with `kubectl create token` work, spoofed identity headers
 * never reach the apiserver, everyday commands (get, -w, --chunk-size, create, apply, patch, delete)
 * work, a streaming list ends with its initial-events-end bookmark, and the census counts from the real
 * /metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig, CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { createNamespace, grant, seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayIdentityMode, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type ClusterUser, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl, spawnKubectl } from '../support/kubectl.js';

const NS = 'team-a';
const EDIT = [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }];

describe('kubectl and client-node through the gateway (real kube-apiserver)', { timeout: 10 * 60_000 }, () => {
  let kube: KubeApiserver;
  let jane: ClusterUser;
  let viewer: ClusterUser;
  let home: string;
  const gateways = new Map<GatewayIdentityMode, GatewayOnApiserver>();
  const tokens = new Map<string, string>();

  before(async () => {
    kube = await startKubeApiserver();
    home = mkdtempSync(join(tmpdir(), 'listgate-kubectl-'));
    await createNamespace(kube, NS);
    jane = await kube.createUser('jane', ['developers']);
    viewer = await kube.createUser('nobody', ['visitors']);
    await grant(kube, { kind: 'Group', name: 'developers' }, EDIT, NS);
    await grant(kube, { kind: 'ServiceAccount', name: 'builder', namespace: NS }, EDIT, NS);
    await seedSecrets(kube, { namespace: NS, count: 12, dataBytes: 4096 });
    for (const mode of ['requestHeader', 'impersonate', 'passthrough'] as const) gateways.set(mode, await startGatewayOnApiserver(kube, { mode }));
    // A token made through the gateway, as an admin would: kubectl create token.
    const adminThrough = await gateways.get('requestHeader')!.kubeconfigFor(kube.admin, 'admin');
    await runKubectl(['-n', NS, 'create', 'serviceaccount', 'builder'], { kubeconfig: adminThrough, home });
    const made = await runKubectl(['-n', NS, 'create', 'token', 'builder'], { kubeconfig: adminThrough, home });
    assert.equal(made.code, 0, made.stderr);
    tokens.set('builder', made.stdout.trim());
  });
  after(async () => {
    for (const gw of gateways.values()) await gw.close();
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const kubectl = async (gw: GatewayIdentityMode, who: ClusterUser | string, args: string[], input?: string) => {
    const credential = typeof who === 'string' ? { token: tokens.get(who)! } : who;
    const kubeconfig = await gateways.get(gw)!.kubeconfigFor(credential, typeof who === 'string' ? who : who.name);
    return runKubectl(args, { kubeconfig, home, ...(input !== undefined ? { input } : {}) });
  };

  for (const mode of ['requestHeader', 'impersonate', 'passthrough'] as const) {
    // passthrough forwards bearer tokens only: its callers are token users.
    const caller = (): ClusterUser | string => (mode === 'passthrough' ? 'builder' : jane);
    const callerName = mode === 'passthrough' ? `system:serviceaccount:${NS}:builder` : 'jane';

    it(`${mode}: create, get, apply, patch, --chunk-size and delete as the caller, under the real RBAC`, async () => {
      const cm = `demo-${mode.toLowerCase()}`;
      const created = await kubectl(mode, caller(), ['-n', NS, 'create', 'configmap', cm, '--from-literal=a=1']);
      assert.equal(created.code, 0, created.stderr);
      const applied = await kubectl(mode, caller(), ['-n', NS, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${cm}-applied`, namespace: NS }, data: { b: '2' } }));
      assert.equal(applied.code, 0, applied.stderr);
      const patched = await kubectl(mode, caller(), ['-n', NS, 'patch', 'configmap', cm, '--type=merge', '-p', '{"data":{"a":"9"}}']);
      assert.equal(patched.code, 0, patched.stderr);
      const got = await kubectl(mode, caller(), ['-n', NS, 'get', 'configmap', cm, '-o', 'jsonpath={.data.a}']);
      assert.equal(got.stdout, '9');
      const chunked = await kubectl(mode, caller(), ['-n', NS, 'get', 'secrets', '--chunk-size=5', '-o', 'name']);
      assert.equal(chunked.code, 0, chunked.stderr);
      assert.equal(chunked.stdout.trim().split('\n').filter((l) => l.startsWith('secret/blob-')).length, 12, 'every page followed');
      const deleted = await kubectl(mode, caller(), ['-n', NS, 'delete', 'configmap', cm, `${cm}-applied`]);
      assert.equal(deleted.code, 0, deleted.stderr);
      const line = gateways.get(mode)!.logs.find((l) => l.msg === 'request completed' && l.user === callerName);
      assert.ok(line, `the gateway logged requests of ${callerName}`);
    });

    it(`${mode}: the apiserver's own 403, relayed as its Status`, async () => {
      const denied = mode === 'passthrough' ? await kubectl(mode, 'builder', ['get', 'secrets', '-n', 'kube-system']) : await kubectl(mode, viewer, ['-n', NS, 'get', 'secrets']);
      assert.notEqual(denied.code, 0);
      const who = mode === 'passthrough' ? `system:serviceaccount:${NS}:builder` : 'nobody';
      assert.match(denied.stderr, new RegExp(`Error from server \\(Forbidden\\): secrets is forbidden: User "${who}" cannot list resource "secrets"`));
    });

    it(`${mode}: --as is decided by the apiserver's rules (the caller may not impersonate)`, async () => {
      const r = await kubectl(mode, caller(), ['-n', NS, 'get', 'configmaps', '--as', 'kubernetes-admin']);
      assert.notEqual(r.code, 0, `${callerName} must not become the admin: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`users "kubernetes-admin" is forbidden: User "${callerName}" cannot impersonate resource "users"`));
    });
  }

  it('requestHeader: an admin may use --as, and whoami is the impersonated user', async () => {
    const r = await kubectl('requestHeader', kube.admin as ClusterUser, ['auth', 'whoami', '--as', 'jane', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'jane');
  });

  it('spoofed X-Remote-* headers never reach the apiserver, and Impersonate-* is checked against the caller', async () => {
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    for (const mode of ['requestHeader', 'impersonate'] as const) {
      const gw = gateways.get(mode)!;
      const spoofed = await gw.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', jane, {
        method: 'POST',
        body: review,
        headers: { 'X-Remote-User': 'kubernetes-admin', 'X-Remote-Group': 'system:masters', 'X-Remote-Extra-Scopes': 'all' },
      });
      assert.equal(spoofed.status, 201, `${mode}: ${spoofed.text}`);
      const info = (spoofed.json as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
      assert.equal(info.username, 'jane', mode);
      assert.ok(!info.groups.includes('system:masters'), mode);
      const impersonating = await gw.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', jane, { method: 'POST', body: review, headers: { 'Impersonate-User': 'kubernetes-admin' } });
      assert.equal(impersonating.status, 403, `${mode}: jane may not impersonate: ${impersonating.text}`);
    }
  });

  it('get -w sees a change made through the gateway', async () => {
    const kubeconfig = await gateways.get('requestHeader')!.kubeconfigFor(jane, 'jane-watch');
    const watch = spawnKubectl(['-n', NS, 'get', 'configmaps', '-w', '-o', 'name'], { kubeconfig, home });
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // the watch is established (kubectl prints nothing for an empty namespace)
      const created = await kubectl('requestHeader', jane, ['-n', NS, 'create', 'configmap', 'watched', '--from-literal=x=1']);
      assert.equal(created.code, 0, created.stderr);
      await watch.waitFor(/configmap\/watched/, 15_000);
    } finally {
      watch.child.kill();
    }
  });

  it('a streaming list ends with its initial-events-end bookmark', async () => {
    const res = await gateways.get('requestHeader')!.request(`/api/v1/namespaces/${NS}/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=3`, jane);
    assert.equal(res.status, 200);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata?: { annotations?: Record<string, string> } } });
    assert.equal(events.filter((e) => e.type === 'ADDED').length, 12);
    const end = events.find((e) => e.type === 'BOOKMARK' && e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true');
    assert.ok(end, `the end bookmark: ${events.map((e) => e.type).join(',')}`);
  });

  it("the census counts from the real apiserver's /metrics (apiserver_storage_objects)", async () => {
    const gw = gateways.get('requestHeader')!;
    const counted = /^listgate_census_objects\{resource="secrets",source="metrics"\} (\d+)$/m;
    const stored = /^apiserver_storage_objects\{resource="secrets"\} (\d+)$/m;
    let ours: number | undefined;
    let theirs: number | undefined;
    for (let i = 0; i < 100 && (ours === undefined || ours !== theirs); i++) {
      ours = Number(counted.exec(await (await fetch(`${gw.opsUrl}/metrics`)).text())?.[1] ?? Number.NaN);
      theirs = Number(stored.exec((await kube.request('/metrics')).text)?.[1] ?? Number.NaN);
      if (ours !== theirs) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(Number.isInteger(ours), 'the census has a count from the metrics');
    assert.equal(ours, theirs, "the census's count is the apiserver's own");
  });

  it('a client-node informer syncs through the gateway and sees a later change', async () => {
    assert.equal((await kubectl('requestHeader', jane, ['-n', NS, 'create', 'configmap', 'before-informer', '--from-literal=x=1'])).code, 0);
    const kc = new KubeConfig();
    kc.loadFromFile(await gateways.get('requestHeader')!.kubeconfigFor(jane, 'jane-informer'));
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${NS}/configmaps`, () => api.listNamespacedConfigMap({ namespace: NS }));
    const seen = new Set<string>();
    const added = new Promise<void>((resolve) => informer.on('add', (cm) => (seen.add(cm.metadata?.name ?? ''), cm.metadata?.name === 'informed' && resolve())));
    await informer.start();
    try {
      assert.ok(informer.list().some((cm) => cm.metadata?.name === 'before-informer'), 'synced: the LIST through the gateway');
      const created = await kubectl('requestHeader', jane, ['-n', NS, 'create', 'configmap', 'informed', '--from-literal=x=1']);
      assert.equal(created.code, 0, created.stderr);
      await Promise.race([added, new Promise((_, reject) => setTimeout(() => reject(new Error(`no add event; saw ${[...seen].join(',')}`)), 15_000))]);
    } finally {
      await informer.stop();
    }
  });
});
