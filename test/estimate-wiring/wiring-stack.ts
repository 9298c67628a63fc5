/**
 * The gateway in front of the simulator, in-process, for the estimator wiring tests: the simulator keeps
 * every request's headers (so the census's own requests are told apart by their User-Agent), the gateway
 * forwards in insecure mode with the simulator's admin certificate, writes its log into `logs`, and
 * its estimator is set for the simulator (which reports 1.32 but serves consistent lists from etcd).
 * Helpers: a request through the gateway, the ops port's JSON and text, and the config file on disk.
 */
import type { Timers } from '../../src/timers.js';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { createApp, type GatewayApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import type { SeedOptions } from '../../src/simulator/simulator.js';
import type { LogRecord } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

/**
 * The simulator serves consistent LISTs from etcd although it reports v1.32 (src/simulator/list-read.ts),
 * and its apiserver_resource_size_estimate_bytes (1.34 profile only) counts JSON bytes.
 */
export const SIMULATOR_ESTIMATOR = { factors: { versions: { '1.31': { consistentListFromCache: false } } }, census: { storageEncoding: 'json' } };

export interface WiringStack {
  sim: TestSimulator;
  pki: GatewayTestPki;
  app: GatewayApp;
  port: number;
  opsPort: number;
  logs: LogRecord[];
  /** The config document as written to `configPath` (ports as bound: 0). */
  configPath: string;
  send(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>;
  opsJson(path: string): Promise<{ status: number; json: Record<string, unknown> }>;
  opsText(path: string): Promise<string>;
  /** The requests the census made (User-Agent listgate-census), as the simulator saw them. */
  censusRequests(): string[];
  close(): Promise<void>;
}

export async function startWiringStack(
  opts: { seed?: SeedOptions; estimator?: Record<string, unknown>; clock?: { now(): number; timers: Timers } } = {},
): Promise<WiringStack> {
  const sim = await startTestSimulator({ seed: opts.seed ?? { namespaces: 2, secrets: 30, configmaps: 12, pods: 6 }, recordHeaders: true });
  const pki = createGatewayTestPki();
  writeFileSync(join(pki.dir, 'sim-ca.crt'), sim.caPem);
  writeFileSync(join(pki.dir, 'sim-admin.crt'), sim.admin.certPem);
  writeFileSync(join(pki.dir, 'sim-admin.key'), sim.admin.keyPem, { mode: 0o600 });
  const doc = {
    listen: { address: '127.0.0.1', port: 0 },
    tls: { certFile: pki.files.gatewayCert, keyFile: pki.files.gatewayKey },
    upstream: { server: sim.url, caFile: 'sim-ca.crt', clientCertFile: 'sim-admin.crt', clientKeyFile: 'sim-admin.key', connectTimeout: '2s' },
    authentication: { tokenReview: { enabled: false }, anonymous: { enabled: true } },
    identity: { mode: 'insecure' },
    ops: { address: '127.0.0.1', port: 0 },
    logging: { level: 'debug' },
    estimator: opts.estimator ?? SIMULATOR_ESTIMATOR,
  };
  const configPath = join(pki.dir, 'listgate.yaml');
  writeFileSync(configPath, stringify(doc));
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  const app = createApp({ config: parseConfig(doc, { baseDir: pki.dir }), logger: pino({ level: 'debug' }, sink), registry: new Registry(), ...(opts.clock ? { clock: opts.clock } : {}) });
  const listen = (server: GatewayApp['server'] | GatewayApp['ops']) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [port, opsPort] = await Promise.all([listen(app.server), listen(app.ops)]);

  const userAgent = (headers: string[] | undefined) => headers?.[headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'user-agent') + 1];
  return {
    sim,
    pki,
    app,
    port,
    opsPort,
    logs,
    configPath,
    send(path, o = {}) {
      return new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, ca: pki.gatewayCa.certPem, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(o.body);
      });
    },
    async opsJson(path) {
      const res = await fetch(`http://127.0.0.1:${opsPort}${path}`);
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async opsText(path) {
      return (await fetch(`http://127.0.0.1:${opsPort}${path}`)).text();
    },
    censusRequests: () => sim.sim.stats.requests().filter((r) => userAgent(r.headers) === 'listgate-census').map((r) => r.path),
    async close() {
      await app.close();
      await sim.close();
      pki.cleanup();
    },
  };
}

/** The `request completed` log lines whose fields (or those of their `target`: resource, namespace, name …) equal those of `match`. */
export function completedLines(logs: readonly LogRecord[], match: Record<string, unknown>): LogRecord[] {
  const fields = (l: LogRecord): Record<string, unknown> => ({ ...l, ...(l.target as Record<string, unknown> | undefined) });
  return logs.filter((l) => l.msg === 'request completed' && Object.entries(match).every(([k, v]) => fields(l)[k] === v));
}

/** The value of one sample in Prometheus text, or undefined. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
