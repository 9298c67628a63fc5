/**
 * Real kubectl through the gateway to the simulator: the commands an operator types every day.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

interface ItemList {
  items: { metadata: { name: string; namespace?: string } }[];
  metadata: { continue?: string; remainingItemCount?: number; resourceVersion?: string };
}

describe('kubectl through the gateway', () => {
  let stack: E2EStack;
  let pod: { name: string; namespace: string };

  before(async () => {
    stack = await startE2EStack();
    const pods = await stack.kubectl(['get', 'pods', '-A', '-o', 'json']);
    assert.equal(pods.code, 0, pods.stderr);
    const first = (JSON.parse(pods.stdout) as ItemList).items[0];
    assert.ok(first, 'the simulator seeds at least one pod');
    pod = { name: first.metadata.name, namespace: first.metadata.namespace ?? 'default' };
  });
  after(async () => stack?.close());

  it('get prints the server-side Table', async () => {
    const r = await stack.kubectl(['get', 'namespaces']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+AGE/m);
    assert.match(r.stdout, /^default\s+Active\s+\S+/m);
    assert.match(r.stdout, /^kube-system\s+Active/m);
  });

  it('get -o json returns the same items as the upstream itself', async () => {
    const through = await stack.kubectl(['get', 'secrets', '-A', '-o', 'json']);
    const direct = await stack.kubectl(['get', 'secrets', '-A', '-o', 'json'], { kubeconfig: stack.upstreamKubeconfig });
    assert.equal(through.code, 0, through.stderr);
    assert.equal(direct.code, 0, direct.stderr);
    const names = (out: string): string[] => (JSON.parse(out) as ItemList).items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();
    assert.ok(names(through.stdout).length >= 30);
    assert.deepEqual(names(through.stdout), names(direct.stdout));
  });

  it('get --chunk-size pages with limit/continue and shows every row once', async () => {
    const r = await stack.kubectl(['get', 'secrets', '-A', '--chunk-size=7', '--no-headers', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const pages = r.stderr.match(/GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/secrets\?[^ ]*limit=7[^ ]* 200 OK/g) ?? [];
    const rows = r.stdout.trim().split('\n');
    assert.ok(pages.length >= Math.ceil(rows.length / 7), `expected several pages, got ${pages.length}`);
    assert.ok(pages.slice(1).every((p) => p.includes('continue=')), 'pages after the first carry a continue token');
    assert.equal(new Set(rows.map((l) => l.split(/\s+/).slice(0, 2).join('/'))).size, rows.length);
  });

  it('get --raw relays the apiserver JSON untouched, remainingItemCount and all', async () => {
    const r = await stack.kubectl(['get', '--raw', '/api/v1/secrets?limit=2']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as ItemList & { kind: string };
    assert.equal(list.kind, 'SecretList');
    assert.equal(list.items.length, 2);
    assert.ok(list.metadata.continue, 'a continue token');
    assert.ok((list.metadata.remainingItemCount ?? 0) >= 28);
  });

  it('create and delete, with Status errors relayed for a missing object', async () => {
    const created = await stack.kubectl(['create', 'configmap', 'e2e-hello', '-n', 'default', '--from-literal=greeting=hi']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /configmap\/e2e-hello created/);
    const fromFile = await stack.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'e2e-file', namespace: 'default' }, stringData: { a: 'b' } }),
    });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stdout, /secret\/e2e-file created/);
    const got = await stack.kubectl(['get', 'configmap', 'e2e-hello', '-n', 'default', '-o', 'jsonpath={.data.greeting}']);
    assert.equal(got.stdout, 'hi');
    const deleted = await stack.kubectl(['delete', 'configmap', 'e2e-hello', '-n', 'default']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /configmap "e2e-hello" deleted/);
    const missing = await stack.kubectl(['get', 'configmap', 'e2e-hello', '-n', 'default']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /configmaps "e2e-hello" not found/);
    await stack.kubectl(['delete', 'secret', 'e2e-file', '-n', 'default']);
  });

  it('get -w streams watch events through the gateway', async () => {
    const watch = stack.spawnKubectl(['get', 'configmaps', '-n', 'default', '-w']);
    try {
      await watch.waitFor(/^NAME\s+DATA\s+AGE/m);
      const created = await stack.kubectl(['create', 'configmap', 'e2e-watched', '-n', 'default', '--from-literal=k=v']);
      assert.equal(created.code, 0, created.stderr);
      await watch.waitFor(/^e2e-watched\s+1\s+/m);
    } finally {
      watch.child.kill();
      await stack.kubectl(['delete', 'configmap', 'e2e-watched', '-n', 'default']);
    }
  });

  it('logs -f follows a pod log until interrupted', async () => {
    const logs = stack.spawnKubectl(['logs', '-f', '-n', pod.namespace, pod.name]);
    try {
      const first = await logs.waitFor(/.+\n.+\n/);
      const lines = () => logs.output().split('\n').filter(Boolean).length;
      const seen = first.split('\n').filter(Boolean).length;
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(lines() > seen, 'new lines keep arriving while following');
    } finally {
      logs.child.kill();
    }
  });

  it('exec runs a command over the WebSocket upgrade', async () => {
    const r = await stack.kubectl(['exec', '-n', pod.namespace, pod.name, '--', 'echo', 'hello', 'through', 'listgate']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello through listgate\n');
    const failing = await stack.kubectl(['exec', '-n', pod.namespace, pod.name, '--', 'sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, `exit code relayed: ${failing.stderr}`);
  });
});
