/**
 * Real clients against the simulator: kubectl 1.32 (on the PATH) with an admin kubeconfig, and an
 * @kubernetes/client-node informer (list, then watch from the list's resourceVersion).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { renderKubeconfig } from '../../src/certs/kubeconfig.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

function eventually<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = read();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('real clients', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  let dir: string;
  let kubeconfig: string;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 2, secrets: 12, secretSize: 64, configmaps: 3, pods: 2, deployments: 1 } });
    dir = await mkdtemp(join(tmpdir(), 'sim-clients-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, renderKubeconfig({ name: 'sim', server: t.url, caPem: t.caPem, user: t.admin }));
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir, KUBECACHEDIR: join(dir, 'cache') }, timeout: 20_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });

  it('kubectl get secrets -A -o json lists every secret, paging with limit/continue', async () => {
    const r = await kubectl(['get', 'secrets', '-A', '-o', 'json', '--chunk-size=5']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string; namespace: string } }[] };
    assert.equal(list.items.length, 12);
    assert.deepEqual(new Set(list.items.map((i) => i.metadata.namespace)), new Set(['default', 'ns-0', 'ns-1']));
    const pages = t.sim.stats.requests().filter((s) => s.path.startsWith('/api/v1/secrets?'));
    assert.equal(pages.length, 3, 'three pages of five');
    assert.ok(pages.slice(1).every((p) => p.path.includes('continue=')));
  });

  it('kubectl get --raw returns the apiserver LIST body', async () => {
    const r = await kubectl(['get', '--raw', '/api/v1/namespaces/default/secrets?limit=1']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { kind: string; metadata: { continue?: string; remainingItemCount?: number }; items: unknown[] };
    assert.equal(list.kind, 'SecretList');
    assert.equal(list.items.length, 1);
    assert.ok(list.metadata.continue);
    assert.equal(list.metadata.remainingItemCount, 3);
  });

  it('kubectl create, get (Table), delete and auth whoami', async () => {
    assert.equal((await kubectl(['create', 'secret', 'generic', 'from-kubectl', '--from-literal=k=v'])).code, 0);
    const table = await kubectl(['get', 'secret', 'from-kubectl']);
    assert.match(table.stdout, /^NAME\s+TYPE\s+DATA\s+AGE\nfrom-kubectl\s+Opaque\s+1\s+\d+s\n$/);
    const del = await kubectl(['delete', 'secret', 'from-kubectl']);
    assert.equal(del.stdout.trim(), 'secret "from-kubectl" deleted');
    const whoami = await kubectl(['auth', 'whoami', '-o', 'json']);
    assert.deepEqual((JSON.parse(whoami.stdout) as { status: { userInfo: unknown } }).status.userInfo, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('a client-node informer syncs and follows adds, updates and deletes', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(renderKubeconfig({ name: 'sim', server: t.url, caPem: t.caPem, user: t.admin }));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces());
    const events: string[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name} ${o.data?.['v']}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      assert.equal(informer.list().length, 3);
      await core.createNamespacedConfigMap({ namespace: 'ns-1', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await eventually(() => events.find((e) => e === 'add inf'), 'add');
      await core.patchNamespacedConfigMap({ namespace: 'ns-1', name: 'inf', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await eventually(() => events.find((e) => e === 'update inf 2'), 'update');
      await core.deleteNamespacedConfigMap({ namespace: 'ns-1', name: 'inf' });
      await eventually(() => events.find((e) => e === 'delete inf'), 'delete');
      assert.equal(informer.list().length, 3);
    } finally {
      await informer.stop();
    }
  });
});
