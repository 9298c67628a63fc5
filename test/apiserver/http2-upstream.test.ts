/**
 * HTTP/2 to a real kube-apiserver 1.32.6 (which offers h2 by ALPN, as client-go uses it): the gateway
 * picks HTTP/2, multiplexes 300 watches over as many connections as the apiserver's advertised stream
 * limit needs, and a `kubectl get ns` beside them (itself over HTTP/2 to the gateway) is answered through
 * a short lane of 8 slots (the case where 256 watches starved it for 38 s). When the apiserver goes away — a graceful restart
 * (SIGTERM: GOAWAY, watches ended) or a SIGKILL (connections lost) — every watch ends cleanly between two
 * events, so its client re-watches, and the gateway serves again on new connections.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNamespace } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl } from '../support/kubectl.js';

const NS = 'watched';
const WATCHES = 300;

interface Watch {
  events: () => number;
  ended: Promise<{ complete: boolean }>;
  close(): void;
}

function openWatch(gw: GatewayOnApiserver, kube: KubeApiserver, n: number): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gw.port,
        path: `/api/v1/namespaces/${NS}/configmaps?watch=true&n=${n}`,
        ca: gw.servingCa.certPem,
        cert: kube.admin.certPem,
        key: kube.admin.keyPem,
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch ${n}: ${res.statusCode}`));
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('error', () => undefined);
        const ended = new Promise<{ complete: boolean }>((done) => res.once('close', () => done({ complete: res.complete })));
        resolve({ events: () => text.split('\n').filter(Boolean).length, ended, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function metric(gw: GatewayOnApiserver, series: string): Promise<number | undefined> {
  const line = (await gw.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SETTINGS_MAX_CONCURRENT_STREAMS the apiserver advertises, asked directly over h2. */
function advertisedStreams(kube: KubeApiserver): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = connect(kube.url, { ca: kube.caPem, cert: kube.admin.certPem, key: kube.admin.keyPem });
    session.once('remoteSettings', (settings) => {
      session.close();
      resolve(settings.maxConcurrentStreams ?? 0);
    });
    session.once('error', reject);
  });
}

describe('HTTP/2 to a real kube-apiserver', { timeout: 10 * 60_000 }, () => {
  let kube: KubeApiserver;
  let gw: GatewayOnApiserver;
  let home: string;
  let streamsPerConnection: number;

  before(async () => {
    kube = await startKubeApiserver();
    home = mkdtempSync(join(tmpdir(), 'listgate-h2-'));
    await createNamespace(kube, NS);
    streamsPerConnection = await advertisedStreams(kube);
    gw = await startGatewayOnApiserver(kube, { overrides: { upstream: { maxSockets: 8, maxLongRunning: 1024 } } });
  });
  after(async () => {
    await gw?.close();
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const createConfigMap = async (name: string) => {
    const r = await kube.request(`/api/v1/namespaces/${NS}/configmaps`, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } });
    assert.equal(r.status, 201, r.text);
  };
  const kubectlGetNs = async () => runKubectl(['get', 'ns', '-o', 'name'], { kubeconfig: await gw.kubeconfigFor(kube.admin, 'admin'), home });

  /** Opens WATCHES watches and waits for one event on each (a configmap created after they are open). */
  const openWatches = async (name: string): Promise<Watch[]> => {
    const watches: Watch[] = [];
    for (let i = 0; i < WATCHES; i += 25) watches.push(...(await Promise.all(Array.from({ length: 25 }, (_, j) => openWatch(gw, kube, i + j)))));
    await createConfigMap(name);
    await until(() => watches.every((w) => w.events() >= 1), 30_000, 'an event on every watch');
    return watches;
  };

  it('multiplexes 300 watches over HTTP/2 within the advertised stream limit; kubectl get ns passes beside them', async (t) => {
    // `auto` asks the apiserver by ALPN; the answer comes with the first requests.
    await until(async () => (await metric(gw, 'listgate_upstream_request_slots{lane="short",protocol="http2"}')) === 8, 10_000, 'HTTP/2 chosen');
    const watches = await openWatches('first');
    assert.equal(await metric(gw, 'listgate_upstream_requests_in_flight{lane="long",protocol="http2"}'), WATCHES);
    const connections = await metric(gw, 'listgate_upstream_connections{lane="long",protocol="http2"}');
    // Streams are assumed 100 a connection until the server's SETTINGS say; never more than advertised.
    const least = Math.ceil(WATCHES / streamsPerConnection);
    assert.ok(connections !== undefined && connections >= least && connections <= Math.ceil(WATCHES / Math.min(100, streamsPerConnection)) + 1, `${connections} connections for ${WATCHES} watches at ${streamsPerConnection} streams each`);
    const got = await kubectlGetNs();
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, new RegExp(`namespace/${NS}`));
    // kubectl took HTTP/2 from the gateway too (ALPN h2), as it does from kube-apiserver.
    const listed = gw.logs.filter((l) => l.msg === 'request completed' && l.verb === 'list' && (l.target as { resource?: string } | undefined)?.resource === 'namespaces');
    assert.ok(listed.length > 0 && listed.every((l) => l.protocol === 'h2'), JSON.stringify(listed.map((l) => l.protocol)));
    assert.equal(await metric(gw, 'listgate_upstream_requests_waiting{lane="short",protocol="http2"}'), 0);
    t.diagnostic(`kube-apiserver advertises ${streamsPerConnection} streams per connection; ${WATCHES} watches over ${connections} connections`);
    for (const w of watches) w.close();
  });

  for (const how of ['a graceful restart (SIGTERM)', 'a SIGKILL'] as const) {
    it(`ends every watch cleanly when the apiserver goes away in ${how}, and serves again after`, async () => {
      const watches = await openWatches(how === 'a SIGKILL' ? 'before-kill' : 'before-restart');
      if (how === 'a SIGKILL') {
        process.kill(kube.pid(), 'SIGKILL');
        await kube.exited();
      }
      const restarted = kube.restart();
      const ends = await Promise.all(watches.map((w) => w.ended));
      assert.equal(ends.filter((e) => e.complete).length, WATCHES, 'every watch ended with a clean end of its response');
      await restarted;
      await until(async () => (await kubectlGetNs()).code === 0, 30_000, 'kubectl through the gateway again');
      await until(async () => (await metric(gw, 'listgate_upstream_requests_in_flight{lane="long",protocol="http2"}')) === 0, 10_000, 'no watch left upstream');
    });
  }
});
