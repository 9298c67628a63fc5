/**
 * `kubectl port-forward` through the gateway to a simulated pod, both ways kubectl 1.32 can do it: the
 * WebSocket tunnel it tries first (SPDY inside WebSocket, `SPDY/3.1+portforward.k8s.io`) and plain SPDY
 * (KUBECTL_PORT_FORWARD_WEBSOCKETS=false, the path it falls back to). A real HTTP request to the local port
 * gets the answer of what listens in the pod, which names the pod; a port nothing listens on gets the
 * runtime's refusal, relayed by kubectl.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

function httpRequest(port: number, path: string, body?: Buffer): Promise<{ status: number; podName: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, podName: String(res.headers['x-pod-name']), text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('kubectl port-forward through the gateway', () => {
  let stack: E2EStack;
  before(async () => (stack = await startE2EStack()));
  after(async () => stack?.close());

  const forward = async (pod: string, remote: number, env: Record<string, string> = {}) => {
    const pf = stack.spawnKubectl(['port-forward', '-n', 'default', `pod/${pod}`, `:${remote}`, '-v=4'], { env });
    const line = await pf.waitFor(/Forwarding from 127\.0\.0\.1:\d+ -> \d+/);
    return { pf, port: Number(/:(\d+) ->/.exec(line)![1]) };
  };
  const upgrades = (): { method: string; path: string }[] =>
    stack.sim.stats.requests().filter((r) => r.path.endsWith('/pods/pod-0/portforward')).map((r) => ({ method: r.method, path: r.path }));

  it('over the WebSocket tunnel: an HTTP request to the local port reaches pod-0', async () => {
    const seenBefore = upgrades().length;
    const { pf, port } = await forward('pod-0', 8080);
    try {
      const first = await httpRequest(port, '/hello?via=websocket');
      assert.equal(first.status, 200);
      assert.equal(first.podName, 'pod-0');
      assert.equal(first.text, 'pod default/pod-0 container main port 8080: GET /hello?via=websocket (0 bytes)\n');
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      const upload = await httpRequest(port, '/upload', big);
      assert.match(upload.text, /: POST \/upload \(3145728 bytes\)\n$/);
      assert.doesNotMatch(pf.output(), /fallback to secondary dialer/, 'no fallback to SPDY');
      assert.deepEqual(upgrades().slice(seenBefore).map((r) => r.method), ['GET'], 'one WebSocket upgrade (GET)');
    } finally {
      pf.child.kill();
    }
  });

  it('over SPDY, as kubectl falls back to: the same answer', async () => {
    const seenBefore = upgrades().length;
    const { pf, port } = await forward('pod-0', 8080, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    try {
      for (const n of [1, 2]) {
        const r = await httpRequest(port, `/spdy/${n}`);
        assert.equal(r.text, `pod default/pod-0 container main port 8080: GET /spdy/${n} (0 bytes)\n`);
      }
      assert.deepEqual(upgrades().slice(seenBefore).map((r) => r.method), ['POST'], 'one SPDY upgrade (POST)');
    } finally {
      pf.child.kill();
    }
  });

  it('a port nothing listens on: kubectl reports the refusal from the pod', async () => {
    const { pf, port } = await forward('pod-0', 9999);
    try {
      await assert.rejects(httpRequest(port, '/'));
      await pf.waitFor(/error forwarding port 9999 to pod pod-0, uid [0-9a-f-]+: failed to connect to localhost:9999 inside namespace/);
    } finally {
      pf.child.kill();
    }
  });
});
