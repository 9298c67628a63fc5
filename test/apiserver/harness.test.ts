/**
 * The real-apiserver harness itself: a kube-apiserver 1.32 with etcd comes up ready on loopback, knows the
 * admin, refuses a user RBAC has not granted, accepts a user it has, issues service-account tokens that
 * authenticate, trusts the front proxy's X-Remote-* headers only from the front-proxy client, stores
 * seeded Secrets, and (as root) runs in a memory cgroup that charges its memory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { grant, seedSecrets, serviceAccountToken, createNamespace } from '../support/apiserver/cluster-objects.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { memoryCgroupsAvailable } from '../support/apiserver/memory-cgroup.js';
import { runKubectl } from '../support/kubectl.js';

describe('the real-apiserver harness', () => {
  let kube: KubeApiserver;
  let home: string;
  const cgroup = memoryCgroupsAvailable();

  before(async () => {
    kube = await startKubeApiserver(cgroup ? { memoryLimitBytes: 3 * 1024 ** 3 } : {});
    home = mkdtempSync(join(tmpdir(), 'listgate-kubectl-'));
  });
  after(async () => {
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('serves version 1.32 and knows the admin as system:masters', async () => {
    const version = await kube.request('/version');
    assert.match((version.json as { gitVersion: string }).gitVersion, /^v1\.32\./);
    const whoami = await runKubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig: kube.adminKubeconfig, home });
    assert.equal(whoami.code, 0, whoami.stderr);
    const status = (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    assert.equal(status.username, 'kubernetes-admin');
    assert.ok(status.groups.includes('system:masters'));
  });

  it('refuses a user without grants and admits one with them', async () => {
    await createNamespace(kube, 'team-a');
    const jane = await kube.createUser('jane', ['developers']);
    const denied = await runKubectl(['get', 'secrets', '-n', 'team-a'], { kubeconfig: jane.kubeconfig, home });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /forbidden: User "jane" cannot list resource "secrets"/);
    await grant(kube, { kind: 'Group', name: 'developers' }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], 'team-a');
    const allowed = await runKubectl(['get', 'secrets', '-n', 'team-a'], { kubeconfig: jane.kubeconfig, home });
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('issues service-account tokens that authenticate as the service account', async () => {
    const token = await serviceAccountToken(kube, 'team-a', 'builder');
    const review = await kube.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      cert: null,
      headers: { Authorization: `Bearer ${token}` },
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    assert.equal(review.status, 201, review.text);
    assert.equal((review.json as { status: { userInfo: { username: string } } }).status.userInfo.username, 'system:serviceaccount:team-a:builder');
  });

  it('trusts X-Remote-* from the front-proxy client only', async () => {
    const headers = { 'X-Remote-User': 'alice', 'X-Remote-Group': 'qa', 'X-Remote-Uid': 'u-1' };
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const asProxy = await kube.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', cert: kube.pki.frontProxyClient, headers, body });
    const info = (asProxy.json as { status: { userInfo: { username: string; groups: string[]; uid: string } } }).status.userInfo;
    assert.deepEqual([info.username, info.uid, info.groups.includes('qa')], ['alice', 'u-1', true]);
    const asAdmin = await kube.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', headers, body });
    assert.equal((asAdmin.json as { status: { userInfo: { username: string } } }).status.userInfo.username, 'kubernetes-admin');
  });

  it('stores seeded Secrets', async () => {
    await seedSecrets(kube, { namespace: 'team-a', count: 12, dataBytes: 64 * 1024 });
    const list = await kube.request('/api/v1/namespaces/team-a/secrets');
    const items = (list.json as { items: Array<{ data: { blob: string } }> }).items;
    assert.equal(items.length, 12);
    assert.equal(Buffer.from(items[0]!.data.blob, 'base64').length, 64 * 1024);
  });

  it('charges the apiserver to its memory cgroup (needs root, as in CI)', () => {
    assert.ok(cgroup, 'memory cgroups need root and a mounted memory controller: run the real-apiserver suite as root');
    const cg = kube.cgroup!;
    assert.ok(cg.usage() > 100 * 1024 ** 2, `the apiserver's memory is charged to ${cg.path} (${cg.usage()} bytes)`);
    assert.ok(cg.peak() >= cg.usage());
    assert.equal(cg.oomKills(), 0);
  });
});
