/**
 * An admission-only and an estimator-only reload are applied in place: the request path is not rebuilt,
 * so the TokenReview cache keeps its tokens (no new TokenReview at the upstream) and the upstream
 * connection pool keeps its sockets (counted by a TCP relay in front of the simulator), while the new
 * settings take effect (the budget metric, the count an unknown resource is priced with). A change of
 * authentication still rebuilds the path: its cache and pool start anew.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, type GatewayApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { readSnapshotFiles } from '../../src/config/load-config-file.js';
import { createSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { mergeDocument } from '../support/apiserver/gateway-on-apiserver.js';
import type { LogRecord } from '../support/gateway-fixture.js';
import { fetchSim } from '../support/simulator-fixture.js';
import { sharedPki, TOKEN_USERS, TOKENS, type SharedPki } from '../auth/support/auth-stack.js';

const REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** A TCP relay that counts the connections made through it. */
async function startRelay(targetPort: number): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('reload in place', () => {
  let shared: SharedPki;
  let sim: Simulator;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let app: GatewayApp;
  let port: number;
  let opsPort: number;
  let document: Record<string, unknown>;
  const logs: LogRecord[] = [];

  before(async () => {
    shared = await sharedPki();
    const { pki } = shared;
    sim = createSimulator({
      tls: { certPem: pki.apiserver.certPem, keyPem: pki.apiserver.keyPem, clientCaPem: pki.ca.certPem },
      frontProxy: { caPem: pki.frontProxyCa.certPem, allowedNames: ['front-proxy-client'] },
      tokens: TOKEN_USERS,
      seed: { namespaces: 1, secrets: 3, secretSize: 64, configmaps: 2, pods: 1 },
    });
    relay = await startRelay(await sim.listen(0, '127.0.0.1'));
    const f = shared.file;
    document = {
      listen: { address: '127.0.0.1', port: 0 },
      tls: { certFile: f('gateway').cert, keyFile: f('gateway').key },
      upstream: { server: `https://127.0.0.1:${relay.port}`, caFile: f('ca').cert, clientCertFile: f('gatewayUpstream').cert, clientKeyFile: f('gatewayUpstream').key },
      authentication: { clientCAFiles: [f('ca').cert], tokenReview: { enabled: true } },
      identity: { mode: 'requestHeader', requestHeader: { clientCertFile: f('frontProxyClient').cert, clientKeyFile: f('frontProxyClient').key } },
      ops: { address: '127.0.0.1', port: 0 },
      // Nothing reads the upstream on its own: every connection counted is the request path's.
      estimator: { census: { sources: ['response'] }, factors: { upstreamVersion: '1.32' } },
      admission: { streamingLists: 'disabled' },
    };
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogRecord);
        done();
      },
    });
    app = createApp({ config: parseConfig(document, { baseDir: shared.dir }), logger: pino({ level: 'info' }, sink), registry: new Registry() });
    const listen = (server: GatewayApp['server'] | GatewayApp['ops']) =>
      new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    [port, opsPort] = await Promise.all([listen(app.server), listen(app.ops)]);
  });
  after(async () => {
    await app?.close();
    await relay?.close();
    await sim?.close();
  });

  const reviews = () => sim.stats.requests().filter((r) => r.path === REVIEW_PATH).length;
  const asBot = () => fetchSim({ port, caPem: shared.pki.ca.certPem, admin: shared.pki.admin }, '/api/v1/namespaces/default/configmaps', { cert: null, headers: { Authorization: `Bearer ${TOKENS.bot}` } });
  const reload = (overrides: Record<string, unknown>) => {
    document = mergeDocument(document, overrides);
    assert.deepEqual(app.config.publish(readSnapshotFiles(parseConfig(document, { baseDir: shared.dir }))), []);
  };
  const ops = async (path: string) => (await fetch(`http://127.0.0.1:${opsPort}${path}`)).text();
  const unknownObjects = async () => (JSON.parse(await ops('/debug/estimate?path=/apis/example.com/v1/widgets')) as { objects: number }).objects;

  it('keeps the TokenReview cache and the upstream pool through admission and estimator changes', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await asBot()).status, 200);
    const reviewsBefore = reviews();
    const connectionsBefore = relay.connections();
    assert.equal(reviewsBefore, 1, 'one TokenReview, then the cache');
    assert.equal(await unknownObjects(), 1000);

    reload({ admission: { budget: '3Gi', smallRequestBytes: '2Mi' } });
    reload({ estimator: { census: { unknownCount: 250 } } });
    for (let i = 0; i < 3; i++) assert.equal((await asBot()).status, 200);

    assert.equal(reviews(), reviewsBefore, 'no TokenReview after the reloads: the cache was kept');
    assert.equal(relay.connections(), connectionsBefore, 'no new upstream connection: the pool was kept');
    assert.ok(!logs.some((l) => String(l.msg).startsWith('upstream, authentication or identity settings reloaded')), 'the request path was not rebuilt');
    assert.match(await ops('/metrics'), /^listgate_admission_budget_bytes 3221225472$/m, 'the budget changed');
    assert.equal(await unknownObjects(), 250, 'the estimator settings changed');
    assert.ok(logs.some((l) => l.msg === 'estimator settings applied in place (learned sizes and counts kept)'));
  });

  it('rebuilds the request path for an authentication change, and then asks again', async () => {
    const reviewsBefore = reviews();
    reload({ authentication: { tokenReview: { negativeCacheTTL: '5s' } } });
    assert.equal((await asBot()).status, 200);
    assert.ok(logs.some((l) => String(l.msg).startsWith('upstream, authentication or identity settings reloaded')));
    assert.equal(reviews(), reviewsBefore + 1, 'the new path has its own cache');
  });
});
