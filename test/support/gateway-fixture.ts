/**
 * Runs the gateway in-process for tests: a config document written the way an operator writes one
 * (relative file names, resolved against the PKI folder), `createApp` with a captured pino log and its
 * own metrics Registry, both servers on loopback port 0, and a small HTTPS client that trusts the
 * gateway's serving CA.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, type GatewayApp } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import type { GatewayTestPki } from './gateway-pki.js';

export type LogRecord = Record<string, unknown> & { level: number; msg: string };

export interface TestGatewayOptions {
  pki: GatewayTestPki;
  upstreamUrl: string;
  /** Replaces keys of the upstream section (e.g. tokenFile instead of the client certificate). */
  upstream?: Record<string, unknown>;
  /** Keys merged into the listen section (e.g. headersTimeout). */
  listen?: Record<string, unknown>;
  /** The authentication section; default: anonymous callers allowed, no TokenReview (proxy tests). */
  authentication?: Record<string, unknown>;
  logLevel?: string;
  /**
   * The estimator section. Default: a passive estimator (counts from responses only, the version pinned),
   * so the stand-in upstreams of proxy tests see no census scrape, probe or /version request.
   */
  estimator?: Record<string, unknown>;
  /** The webhook section; when it enables the webhook, its server listens on loopback too. */
  webhook?: Record<string, unknown>;
  /** The admission section; default: admission's defaults. */
  admission?: Record<string, unknown>;
}

export interface TestGateway {
  app: GatewayApp;
  config: Config;
  registry: Registry;
  port: number;
  opsPort: number;
  /** The routing webhook's port, when the webhook section enables it. */
  webhookPort: number | undefined;
  logs: LogRecord[];
  close(): Promise<void>;
}

export function testConfigDocument(opts: TestGatewayOptions): Record<string, unknown> {
  const { files } = opts.pki;
  const upstream: Record<string, unknown> = {
    server: opts.upstreamUrl,
    caFile: files.upstreamCa,
    clientCertFile: files.clientCert,
    clientKeyFile: files.clientKey,
    connectTimeout: '2s',
    ...opts.upstream,
  };
  for (const [key, value] of Object.entries(upstream)) if (value === undefined) delete upstream[key];
  return {
    listen: { address: '127.0.0.1', port: 0, ...opts.listen },
    tls: { certFile: files.gatewayCert, keyFile: files.gatewayKey },
    upstream,
    authentication: opts.authentication ?? { tokenReview: { enabled: false }, anonymous: { enabled: true } },
    identity: { mode: 'insecure' },
    ops: { address: '127.0.0.1', port: 0 },
    logging: { level: opts.logLevel ?? 'info' },
    estimator: opts.estimator ?? { census: { sources: ['response'] }, factors: { upstreamVersion: '1.26' } },
    ...(opts.webhook ? { webhook: opts.webhook } : {}),
    ...(opts.admission ? { admission: opts.admission } : {}),
  };
}

export async function startTestGateway(opts: TestGatewayOptions): Promise<TestGateway> {
  const config = parseConfig(testConfigDocument(opts), { baseDir: opts.pki.dir });
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const logger = pino({ level: config.logging.level }, sink);
  const registry = new Registry();
  const app = createApp({ config, logger, registry });
  const listen = (server: GatewayApp['server'] | GatewayApp['ops']) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [port, opsPort, webhookPort] = await Promise.all([listen(app.server), listen(app.ops), app.webhook ? listen(app.webhook.server) : undefined]);
  return { app, config, registry, port, opsPort, webhookPort, logs, close: () => app.close() };
}

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** One request to the gateway (fresh connection), with the whole response body as text. */
export function gatewayRequest(
  gw: { port: number },
  pki: GatewayTestPki,
  opts: { method?: string; path: string; headers?: OutgoingHttpHeaders | string[]; body?: string },
): Promise<TestResponse> {
  // Node adds Host only to object-form headers; raw lists (used to send duplicates) need it spelled out.
  const headers = Array.isArray(opts.headers) ? ['Host', `127.0.0.1:${gw.port}`, ...opts.headers] : opts.headers;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: gw.port, method: opts.method ?? 'GET', path: opts.path, headers, ca: pki.gatewayCa.certPem, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
