/**
 * The simulator's routing of subresources and upgrades: pods/log (to the log streamer), pods/exec
 * upgrades (authenticated, the pod looked up first: 404 Status when it is missing), status subresources
 * that only change status, and `kubectl get -w` / `logs` / `exec` end to end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderKubeconfig } from '../../src/certs/kubeconfig.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

/** Sends a raw WebSocket upgrade for pods/exec and returns the status line and body of the answer. */
function rawUpgrade(t: TestSimulator, path: string, withCert: boolean): Promise<{ statusLine: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: t.port, ca: t.caPem, servername: 'localhost', ...(withCert ? { cert: t.admin.certPem, key: t.admin.keyPem } : {}) }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n');
    });
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ statusLine: head.split('\r\n')[0] ?? '', body });
    });
  });
}

describe('subresources and upgrades', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  let dir: string;
  let kubeconfig: string;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 0, secrets: 2, secretSize: 8, configmaps: 0, pods: 1, deployments: 1 } });
    dir = await mkdtemp(join(tmpdir(), 'sim-sub-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, renderKubeconfig({ name: 'sim', server: t.url, caPem: t.caPem, user: t.admin }));
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]): { done: Promise<string>; output(): string; kill(): void } => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir, KUBECACHEDIR: join(dir, 'cache') } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { done: new Promise((r) => child.on('close', () => r(out))), output: () => out, kill: () => child.kill() };
  };

  it('routes pods/log to the log streamer and answers 404 for a missing pod', async () => {
    const log = await fetchSim(t, '/api/v1/namespaces/default/pods/pod-0/log?tailLines=2', { headers: { Accept: 'text/plain' } });
    assert.equal(log.status, 200);
    assert.equal(log.text.trim().split('\n').length, 2);
    const missing = await fetchSim(t, '/api/v1/namespaces/default/pods/ghost/log');
    assert.equal(missing.status, 404);
    assert.equal((missing.json as { message: string }).message, 'pods "ghost" not found');
  });

  it('authenticates exec upgrades and looks the pod up before handing over the socket', async () => {
    const missing = await rawUpgrade(t, '/api/v1/namespaces/default/pods/ghost/exec?command=echo&stdout=true', true);
    assert.equal(missing.statusLine, 'HTTP/1.1 404 Not Found');
    assert.deepEqual(JSON.parse(missing.body), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "ghost" not found', reason: 'NotFound', details: { name: 'ghost', kind: 'pods' }, code: 404,
    });
    const anonymous = await rawUpgrade(t, '/api/v1/namespaces/default/pods/pod-0/exec?command=echo&stdout=true', false);
    assert.equal(anonymous.statusLine, 'HTTP/1.1 401 Unauthorized');
    const plain = await fetchSim(t, '/api/v1/namespaces/default/pods/pod-0/exec?command=echo', { method: 'POST' });
    assert.equal(plain.status, 400);
  });

  it('changes only status through the status subresource, and never status through the object', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/deploy-0';
    const viaStatus = await fetchSim(t, `${path}/status`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { status: { readyReplicas: 0 }, spec: { replicas: 9 } },
    });
    const d = viaStatus.json as { spec: { replicas: number }; status: { readyReplicas: number } };
    assert.deepEqual([d.spec.replicas, d.status.readyReplicas], [1, 0]);
    const viaObject = await fetchSim(t, path, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { status: { readyReplicas: 7 } } });
    assert.equal((viaObject.json as { status: { readyReplicas: number } }).status.readyReplicas, 0);
    assert.equal((await fetchSim(t, `${path}/status`, { method: 'DELETE' })).status, 405);
  });

  it('kubectl get -w prints the table once and a row per change', async () => {
    const watch = kubectl(['get', 'secrets', '-w']);
    try {
      await waitFor(() => /secret-1/.test(watch.output()), 'the initial rows');
      await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'watched' } } });
      await waitFor(() => /watched\s+Opaque\s+0/.test(watch.output()), 'the new row');
      assert.equal(watch.output().match(/^NAME\s+TYPE/gm)?.length, 1, 'headers once');
    } finally {
      watch.kill();
      await watch.done;
    }
  });

  it('kubectl logs and exec reach the pod', async () => {
    assert.match(await kubectl(['logs', 'pod-0', '--tail=1']).done, /line=\d+/);
    assert.equal((await kubectl(['exec', 'pod-0', '--', 'echo', 'hello', 'there']).done).trim(), 'hello there');
  });
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
