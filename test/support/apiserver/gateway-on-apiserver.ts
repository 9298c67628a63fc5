/**
 * listgate in front of a real kube-apiserver (kube-apiserver.ts), in-process (`createApp`), for the
 * real-apiserver suite. The config is written the way an operator writes one (files in a temp folder):
 * - identity.mode `requestHeader` (default; the front-proxy client certificate the apiserver trusts),
 *   `impersonate` or `passthrough`;
 * - the gateway's own identity upstream: a client certificate of the cluster CA (`listgate`, in
 *   `system:masters` unless `gatewayIdentity` says otherwise);
 * - client certificates of the cluster CA are trusted (the same certificate works straight to the
 *   apiserver and through the gateway; passthrough takes bearer tokens only), and TokenReview is on;
 * - `overrides` are merged into the document (objects key by key, anything else replaced), and
 *   `reload` publishes a changed document to the running gateway as the file reloader would;
 * - `webhook`: the pod-routing webhook on a loopback port of its own, serving with the gateway's pair,
 *   sending routed pods to this gateway (127.0.0.1 and its port, which its certificate carries) and
 *   telling them to trust the gateway's serving CA.
 * Its pino lines are captured and parsed; `kubeconfigFor` writes kubeconfigs that point at the gateway.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, type GatewayApp } from '../../../src/app.js';
import { writeKubeconfig } from '../../../src/certs/kubeconfig.js';
import { createCA, issueClientCert, issueServingCert, type CertificateAuthority, type KeyPairPem } from '../../../src/certs/pki.js';
import { parseConfig, type Config } from '../../../src/config/config.js';
import { readSnapshotFiles } from '../../../src/config/load-config-file.js';
import { fetchSim, type FetchOptions, type FetchResult } from '../simulator-fixture.js';
import type { KubeApiserver } from './kube-apiserver.js';

export type LogRecord = Record<string, unknown> & { level: number; msg: string };
export type GatewayIdentityMode = 'requestHeader' | 'impersonate' | 'passthrough';

export interface GatewayOnApiserverOptions {
  mode?: GatewayIdentityMode;
  /** Merged into the generated config document (e.g. `{ admission: { budget: '64Mi' } }`). */
  overrides?: Record<string, unknown>;
  /** The gateway's own client certificate upstream; default `listgate` in `system:masters`. */
  gatewayIdentity?: { name: string; groups: string[] };
  logLevel?: string;
  /** Enables the routing webhook (src/webhook/), listening on loopback. */
  webhook?: boolean;
}

/** Who a kubeconfig or request authenticates as: a client certificate (of a CA the gateway trusts) or a token. */
export type GatewayCredential = KeyPairPem | { token: string };

export interface GatewayOnApiserver {
  app: GatewayApp;
  config: Config;
  /** The document the config was parsed from (file names relative to `dir`). */
  document: Record<string, unknown>;
  registry: Registry;
  /** `https://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The routing webhook's `https://127.0.0.1:<port>/mutate-pods`, when `webhook` was asked for. */
  webhookUrl: string | undefined;
  /** `http://127.0.0.1:<opsPort>`: /metrics, /readyz, /debug/estimate. */
  opsUrl: string;
  opsPort: number;
  /** The CA of the gateway's serving certificate (what its clients trust). */
  servingCa: CertificateAuthority;
  /** The config, certificates and kubeconfigs written for this gateway. */
  dir: string;
  logs: LogRecord[];
  /** Writes a kubeconfig for `credential` that points at the gateway; returns its path. */
  kubeconfigFor(credential: GatewayCredential, name?: string): Promise<string>;
  /** One request through the gateway (fresh connection), with a client certificate or a bearer token. */
  request(path: string, credential: GatewayCredential | null, opts?: Omit<FetchOptions, 'cert'>): Promise<FetchResult>;
  /** Publishes `overrides` merged into the current document, as a reload of the config file would. */
  reload(overrides: Record<string, unknown>): unknown[];
  close(): Promise<void>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `base` with `over` merged in: objects key by key, anything else (arrays included) replaced. */
export function mergeDocument(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? mergeDocument(prior, value) : value;
  }
  return out;
}

function captureLogs(logs: LogRecord[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
}

let kubeconfigs = 0;

export async function startGatewayOnApiserver(kube: KubeApiserver, opts: GatewayOnApiserverOptions = {}): Promise<GatewayOnApiserver> {
  const mode = opts.mode ?? 'requestHeader';
  const dir = mkdtempSync(join(tmpdir(), 'listgate-gw-kube-'));
  const servingCa = createCA('listgate-test-serving-ca');
  const serving = issueServingCert(servingCa, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const identity = opts.gatewayIdentity ?? { name: 'listgate', groups: ['system:masters'] };
  const own = issueClientCert(kube.pki.clusterCa, { commonName: identity.name, groups: identity.groups });
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return name;
  };
  const files = {
    servingCert: write('serving.crt', serving.certPem),
    servingKey: write('serving.key', serving.keyPem),
    upstreamCa: write('upstream-ca.crt', kube.caPem),
    clientCert: write('gateway.crt', own.certPem),
    clientKey: write('gateway.key', own.keyPem),
    clientCa: write('client-ca.crt', kube.pki.clusterCa.certPem),
    servingCa: write('serving-ca.crt', servingCa.certPem),
  };
  const base: Record<string, unknown> = {
    listen: { address: '127.0.0.1', port: 0 },
    tls: { certFile: files.servingCert, keyFile: files.servingKey },
    upstream: { server: kube.url, caFile: files.upstreamCa, clientCertFile: files.clientCert, clientKeyFile: files.clientKey, connectTimeout: '5s' },
    authentication: { ...(mode === 'passthrough' ? {} : { clientCAFiles: [files.clientCa] }), tokenReview: { enabled: true } },
    identity: {
      mode,
      ...(mode === 'requestHeader' ? { requestHeader: { clientCertFile: kube.pki.files.frontProxyClientCert, clientKeyFile: kube.pki.files.frontProxyClientKey } } : {}),
    },
    ops: { address: '127.0.0.1', port: 0 },
    logging: { level: opts.logLevel ?? 'info' },
    // The gateway's port is known once it listens: the routing settings are reloaded with it below.
    ...(opts.webhook ? { webhook: { enabled: true, listen: { address: '127.0.0.1', port: 0 }, gateway: { host: '127.0.0.1', port: 443, caFile: files.servingCa } } } : {}),
  };
  let document = mergeDocument(base, opts.overrides ?? {});
  const config = parseConfig(document, { baseDir: dir });
  const logs: LogRecord[] = [];
  const logger = pino({ level: config.logging.level }, captureLogs(logs));
  const registry = new Registry();
  const app = createApp({ config, logger, registry });
  const listen = (server: GatewayApp['server'] | GatewayApp['ops']) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [port, opsPort, webhookPort] = await Promise.all([listen(app.server), listen(app.ops), app.webhook ? listen(app.webhook.server) : undefined]);
  const url = `https://127.0.0.1:${port}`;
  const reload = (overrides: Record<string, unknown>): unknown[] => {
    document = mergeDocument(document, overrides);
    return app.config.publish(readSnapshotFiles(parseConfig(document, { baseDir: dir })));
  };
  if (opts.webhook) {
    const failures = reload({ webhook: { gateway: { port } } });
    if (failures.length > 0) throw new Error(`the webhook's gateway port was not applied: ${JSON.stringify(failures)}`);
  }
  const target = { port, caPem: servingCa.certPem, admin: kube.admin };

  return {
    app,
    config,
    get document() {
      return document;
    },
    registry,
    url,
    port,
    webhookUrl: webhookPort === undefined ? undefined : `https://127.0.0.1:${webhookPort}/mutate-pods`,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    opsPort,
    servingCa,
    dir,
    logs,
    async kubeconfigFor(credential, name = 'gateway-user') {
      const path = join(dir, `${name}-${++kubeconfigs}.kubeconfig`);
      await writeKubeconfig(path, { name, server: url, caPem: servingCa.certPem, user: 'token' in credential ? { token: credential.token } : credential });
      return path;
    },
    request(path, credential, o = {}) {
      const token = credential && 'token' in credential ? credential.token : undefined;
      const headers = { ...o.headers, ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}) };
      return fetchSim(target, path, { ...o, headers, cert: credential && !('token' in credential) ? credential : null });
    },
    reload,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
