/**
 * pods/log and pods/exec through a small HTTPS server of the test's own (the pod is fixed; GET of the pod and
 * the two subresources are routed to streamPodLogs / the ExecServer, discovery to serveNonResource), with real clients: node's https, a `ws`
 * client speaking v5 and v4, and real kubectl (`logs`, `logs -f`, `exec`, `exec -i` with stdin).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { createCA, issueServingCert } from '../../src/certs/pki.js';
import { serveNonResource } from '../../src/simulator/discovery.js';
import { createExecServer, type ExecServer } from '../../src/simulator/exec.js';
import type { KubeObject } from '../../src/simulator/kube-object.js';
import { FOLLOW_INTERVAL_MS, HISTORY_LINES, streamPodLogs } from '../../src/simulator/logs.js';

const run = promisify(execFile);
const STARTED = Date.parse('2025-01-01T00:00:00Z');

function pod(name: string, extra: { containers?: string[]; phase?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: new Date(STARTED).toISOString() },
    spec: { nodeName: 'node-1', containers: (extra.containers ?? ['main']).map((c) => ({ name: c, image: 'busybox', env: [{ name: 'GREETING', value: 'hello' }] })) },
    status: {
      phase: extra.phase ?? 'Running',
      podIP: '10.244.0.5',
      containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: new Date(STARTED).toISOString() } } }],
    },
  };
}

const PODS = new Map([['web-0', pod('web-0')], ['multi', pod('multi', { containers: ['a', 'b'] })], ['done', pod('done', { phase: 'Succeeded' })]]);

interface Harness { url: string; caPem: string; server: Server; exec: ExecServer; dir: string; kubeconfig: string }

async function startHarness(): Promise<Harness> {
  const ca = createCA('surface-test-ca');
  const serving = issueServingCert(ca);
  const exec = createExecServer();
  const podFor = (path: string): { obj: KubeObject | undefined; sub: string } => {
    const m = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)(?:\/(log|exec))?$/.exec(path);
    return { obj: m ? PODS.get(m[1]!) : undefined, sub: m?.[2] ?? '' };
  };
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    if (serveNonResource(req, res, { watchList: true })) return; // kubectl's discovery
    const { obj, sub } = podFor(url.pathname);
    if (!obj) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
    if (sub === 'log') return streamPodLogs(req, res, obj, url.searchParams, { now: () => Date.now() });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(obj));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const { obj, sub } = podFor(url.pathname);
    if (!obj || sub !== 'exec') return void socket.destroy();
    exec.handleUpgrade(req, socket, head, obj, url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'surface-streams-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const b64 = Buffer.from(ca.certPem).toString('base64');
  await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${b64}\nusers:\n- name: sim\n  user:\n    token: surface-test\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n    namespace: default\ncurrent-context: sim\n`);
  return { url, caPem: ca.certPem, server, exec, dir, kubeconfig };
}

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => {
  h.exec.close();
  h.server.closeAllConnections();
  await new Promise<void>((resolve) => h.server.close(() => resolve()));
  await rm(h.dir, { recursive: true, force: true });
});

const kubectlEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: h.dir, KUBECONFIG: h.kubeconfig });
const kubectl = (...args: string[]) => run('kubectl', args, { env: kubectlEnv(), timeout: 15_000 });

function get(path: string, signal?: AbortSignal): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.url}${path}`, { ca: h.caPem, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject).end();
  });
}

describe('pods/log', () => {
  it('serves the deterministic history as text/plain, with tailLines and RFC3339 timestamps', async () => {
    const all = await get('/api/v1/namespaces/default/pods/web-0/log');
    assert.equal(all.status, 200);
    assert.equal(all.type, 'text/plain');
    const lines = all.body.trimEnd().split('\n');
    assert.equal(lines.length, HISTORY_LINES);
    assert.equal(lines[0], 'pod=default/web-0 container=main line=1 msg="simulated log line 1"');
    const tail = await get('/api/v1/namespaces/default/pods/web-0/log?tailLines=2&timestamps=true');
    assert.deepEqual(tail.body.trimEnd().split('\n'), [
      `2025-01-01T00:00:19Z ${lines[18]}`,
      `2025-01-01T00:00:20Z ${lines[19]}`,
    ]);
  });

  it('cuts at limitBytes and filters with sinceTime', async () => {
    assert.equal((await get('/api/v1/namespaces/default/pods/web-0/log?limitBytes=10')).body, 'pod=defaul');
    const since = await get('/api/v1/namespaces/default/pods/web-0/log?sinceTime=2025-01-01T00:00:18Z');
    assert.equal(since.body.trimEnd().split('\n').length, 3);
  });

  it('answers the apiserver Status errors for containers and options', async () => {
    const unknown = await get('/api/v1/namespaces/default/pods/web-0/log?container=nope');
    assert.equal(unknown.status, 400);
    assert.equal(JSON.parse(unknown.body).message, 'container nope is not valid for pod web-0');
    const ambiguous = await get('/api/v1/namespaces/default/pods/multi/log');
    assert.equal(JSON.parse(ambiguous.body).message, 'a container name must be specified for pod multi, choose one of: [a b]');
    const invalid = JSON.parse((await get('/api/v1/namespaces/default/pods/web-0/log?tailLines=-1')).body);
    assert.equal(invalid.code, 422);
    assert.equal(invalid.reason, 'Invalid');
    assert.equal(invalid.message, 'PodLogOptions "web-0" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  });

  it('follow streams new lines until the client goes away, then stops its timer', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const abort = new AbortController();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      const req = request(`${h.url}/api/v1/namespaces/default/pods/web-0/log?follow=true&tailLines=0`, { ca: h.caPem, signal: abort.signal }, (res) => {
        res.setEncoding('utf8').on('data', (c: string) => {
          seen.push(...c.trimEnd().split('\n'));
          if (seen.length >= 3) abort.abort();
        });
      });
      req.on('error', () => resolve()).end();
    });
    const started = Date.now();
    await done;
    assert.ok(Date.now() - started >= 2 * FOLLOW_INTERVAL_MS, 'lines arrive over time, not at once');
    assert.match(seen[0]!, /line=21 /);
    await new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS * 2));
    assert.equal(timers(), before, 'the follow interval is cleared once the client is gone');
  });

  it('works with real kubectl logs, including -f with --limit-bytes', async () => {
    const { stdout } = await kubectl('logs', 'web-0', '--tail=1');
    assert.equal(stdout, 'pod=default/web-0 container=main line=20 msg="simulated log line 20"\n');
    const follow = await kubectl('logs', '-f', 'web-0', '--tail=0', '--limit-bytes=120');
    assert.equal(follow.stdout.length, 120);
    assert.match(follow.stdout, /^pod=default\/web-0 container=main line=21 /);
  });
});

interface ExecResult { protocol: string; first: Buffer; stdout: string; stderr: string; status: Record<string, unknown>; closeCode: number }

/** Runs an exec over a `ws` client; `onOpen` may send stdin frames. Resolves when the server closes. */
function wsExec(query: string, protocols: string[], onOpen?: (ws: WebSocket) => void): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web-0/exec?${query}`, protocols, { ca: h.caPem });
    const frames: Buffer[] = [];
    ws.on('open', () => onOpen?.(ws));
    ws.on('message', (data: Buffer) => frames.push(data));
    ws.on('error', reject);
    ws.on('close', (closeCode) => {
      const text = (ch: number): string => frames.filter((f) => f[0] === ch).map((f) => f.subarray(1).toString()).join('');
      resolve({ protocol: ws.protocol, first: frames[0]!, stdout: text(1), stderr: text(2), status: JSON.parse(text(3) || 'null'), closeCode });
    });
  });
}

const cmd = (...argv: string[]): string => argv.map((a) => `command=${encodeURIComponent(a)}`).join('&');

describe('pods/exec over WebSocket', () => {
  it('negotiates v5, opens with an empty stdout message and ends with the Success Status', async () => {
    const r = await wsExec(`${cmd('echo', 'hello', 'world')}&stdout=true&stderr=true`, ['v5.channel.k8s.io']);
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.deepEqual([...r.first], [1]);
    assert.equal(r.stdout, 'hello world\n');
    assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    assert.equal(r.closeCode, 1000);
  });

  it('reports a non-zero exit as NonZeroExitCode with an ExitCode cause, and unknown commands on stderr', async () => {
    const r = await wsExec(`${cmd('sh', '-c', 'echo out; exit 3')}&stdout=true&stderr=true`, ['v5.channel.k8s.io']);
    assert.equal(r.stdout, 'out\n');
    assert.deepEqual(r.status, {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: command terminated with exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    const missing = await wsExec(`${cmd('frobnicate')}&stdout=true&stderr=true`, ['v5.channel.k8s.io']);
    assert.equal(missing.stderr, 'exec: "frobnicate": executable file not found in $PATH\n');
    assert.deepEqual((missing.status.details as { causes: unknown[] }).causes, [{ reason: 'ExitCode', message: '127' }]);
  });

  it('cat copies stdin to stdout until the v5 CLOSE signal for stdin', async () => {
    const r = await wsExec(`${cmd('cat')}&stdin=true&stdout=true&stderr=true`, ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('abc\n')]));
      setTimeout(() => {
        ws.send(Buffer.from([0, ...Buffer.from('def\n')]));
        ws.send(Buffer.from([255, 0]));
      }, 50);
    });
    assert.equal(r.stdout, 'abc\ndef\n');
    assert.equal(r.status.status, 'Success');
  });

  it('falls back to v4 for clients that offer it and serves env and hostname', async () => {
    const r = await wsExec(`${cmd('env')}&stdout=true`, ['v4.channel.k8s.io', 'channel.k8s.io']);
    assert.equal(r.protocol, 'v4.channel.k8s.io');
    assert.match(r.stdout, /^PATH=.*\nHOSTNAME=web-0\nGREETING=hello\n/);
    const failed = await wsExec(`${cmd('false')}&stdout=true`, ['v4.channel.k8s.io']);
    assert.equal(failed.status.message, 'command terminated with non-zero exit code: error executing command [false], exit code 1');
  });

  it('refuses SPDY, unknown containers and unsupported subprotocols with a Status before upgrading', async () => {
    const refused = (headers: Record<string, string>, query: string): Promise<{ status: number; body: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const req = request(`${h.url}/api/v1/namespaces/default/pods/web-0/exec?${query}`, { ca: h.caPem, method: 'POST', headers: { Connection: 'Upgrade', ...headers } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
        });
        req.on('upgrade', () => reject(new Error('unexpected upgrade')));
        req.on('error', reject).end();
      });
    const spdy = await refused({ Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }, `${cmd('echo')}&stdout=true`);
    assert.equal(spdy.status, 400);
    assert.match(String(spdy.body.message), /WebSocket .* only, not SPDY\/3\.1/);
    const container = await refused({ Upgrade: 'SPDY/3.1' }, `${cmd('echo')}&stdout=true&container=sidecar`);
    assert.equal(container.body.message, 'container sidecar is not valid for pod web-0');
    await assert.rejects(wsExec(`${cmd('echo')}&stdout=true`, ['base64.channel.k8s.io']), /Unexpected server response: 400/);
  });

  it('converts newlines for a TTY and merges stderr into stdout', async () => {
    const r = await wsExec(`${cmd('sh', '-c', 'echo a; nope')}&stdout=true&stderr=true&tty=true`, ['v5.channel.k8s.io']);
    assert.equal(r.stdout, 'a\r\nsh: nope: not found\r\n');
    assert.equal(r.stderr, '');
  });

  it('ends a running command when the client goes away (no timer left behind)', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const ws = new WebSocket(`${h.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web-0/exec?${cmd('sleep', '30')}&stdout=true`, ['v5.channel.k8s.io'], { ca: h.caPem });
    await new Promise((resolve) => ws.once('message', resolve));
    assert.equal(timers(), before + 1, 'sleep is running');
    ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(timers(), before);
  });

  it('serves @kubernetes/client-node Exec: streams, stdin end, and the status callback', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    let out = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c), cb()) });
    const stdin = new PassThrough();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec('default', 'web-0', 'main', ['cat'], stdout, null, stdin, false, resolve).then((ws) => {
        assert.equal(ws.protocol, 'v5.channel.k8s.io');
        stdin.end('from client-node\n');
      }, reject);
    });
    assert.equal(status.status, 'Success');
    assert.equal(out, 'from client-node\n');
  });

  it('runs under real kubectl exec: output, exit code, and stdin through cat', async () => {
    const { stdout } = await kubectl('exec', 'web-0', '--', 'sh', '-c', 'hostname; echo "two words"');
    assert.equal(stdout, 'web-0\ntwo words\n');
    await assert.rejects(kubectl('exec', 'web-0', '--', 'sh', '-c', 'exit 7'), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 7);
      assert.match(err.stderr ?? '', /command terminated with exit code 7/);
      return true;
    });
    const child = spawn('kubectl', ['exec', '-i', 'web-0', '--', 'cat'], { env: kubectlEnv() });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stdin.end('piped through cat\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(out, 'piped through cat\n');
  });

  it('makes kubectl fail clearly when the container is unknown (WebSocket refused, SPDY refused)', async () => {
    await assert.rejects(kubectl('exec', 'web-0', '-c', 'sidecar', '--', 'true'), (err: { stderr?: string }) => {
      assert.match(err.stderr ?? '', /container sidecar is not valid for pod web-0/);
      return true;
    });
  });
});
