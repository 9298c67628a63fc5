/**
 * The simulator and the gateway in one identity mode, on loopback: a development PKI (created once per
 * test process, written to a temporary folder as an operator would have it), a simulator that trusts the
 * front-proxy CA, knows two bearer tokens and records the raw headers of every request, and the gateway
 * built with createApp from a config document, its pino lines captured and parsed. Kubeconfigs for a
 * certificate user (jane), the admin and the token user point at the gateway.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createApp, type GatewayApp } from '../../../src/app.js';
import { createDevPki, pkiPaths, writeDevPki, type DevPki } from '../../../src/certs/dev-pki.js';
import { writeKubeconfig } from '../../../src/certs/kubeconfig.js';
import type { KeyPairPem } from '../../../src/certs/pki.js';
import { parseConfig, type IdentityMode } from '../../../src/config/config.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/simulator.js';
import { createLogger } from '../../../src/log.js';

export type LogRecord = Record<string, unknown> & { level: number; msg: string };

/** Bearer tokens the simulator's TokenReview knows; distinctive so a test can look for them in logs. */
export const TOKENS = {
  bot: 'tok-ci-bot-7f3a9c1e5d2b4a68',
  jane: 'tok-jane-0b8e6d4c2a1f3e57',
};
export const TOKEN_USERS = {
  [TOKENS.bot]: { user: 'ci-bot', groups: ['ci'], uid: 'uid-ci-bot' },
  [TOKENS.jane]: { user: 'jane', groups: ['developers'] },
};

export interface SharedPki {
  dir: string;
  pki: DevPki;
  file(name: Parameters<typeof pkiPaths>[1]): { cert: string; key: string };
}

let shared: SharedPki | undefined;

/** One PKI per test process (RSA keys are slow); removed at exit. */
export async function sharedPki(): Promise<SharedPki> {
  if (shared) return shared;
  const dir = mkdtempSync(join(tmpdir(), 'listgate-auth-'));
  const pki = createDevPki();
  await writeDevPki(dir, pki);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  shared = { dir, pki, file: (name) => pkiPaths(dir, name) };
  return shared;
}

export interface AuthStackOptions {
  mode: IdentityMode;
  /** Merged over the mode's default authentication section. */
  authentication?: Record<string, unknown>;
  /** Header names merged over identity.requestHeader; the simulator trusts the same names. */
  requestHeader?: { usernameHeaders?: string[]; groupHeaders?: string[]; uidHeaders?: string[]; extraHeaderPrefixes?: string[] };
  sim?: Partial<SimulatorOptions>;
  logLevel?: string;
  /** Replaces the upstream server (a TokenReview stand-in, a closed port). */
  upstreamServer?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: unknown;
}

export interface AuthStack {
  mode: IdentityMode;
  shared: SharedPki;
  sim: Simulator;
  app: GatewayApp;
  port: number;
  url: string;
  registry: Registry;
  logs: LogRecord[];
  /** Raw JSON text of every log line, for searching. */
  logText(): string;
  kubeconfigs: { jane: string; admin: string; bot: string; janeToken: string };
  kubectl(kubeconfig: string, args: string[]): Promise<KubectlResult>;
  /** One HTTPS request to the gateway (fresh connection), with a client certificate and/or headers. */
  fetch(path: string, opts?: { method?: string; cert?: KeyPairPem; headers?: OutgoingHttpHeaders | string[]; body?: string }): Promise<RawResponse>;
  close(): Promise<void>;
}

function configDocument(s: SharedPki, opts: AuthStackOptions, upstreamServer: string): Record<string, unknown> {
  const certificates = opts.mode !== 'passthrough';
  return {
    listen: { address: '127.0.0.1', port: 0 },
    tls: { certFile: s.file('gateway').cert, keyFile: s.file('gateway').key },
    upstream: { server: upstreamServer, caFile: s.file('ca').cert, clientCertFile: s.file('gatewayUpstream').cert, clientKeyFile: s.file('gatewayUpstream').key, connectTimeout: '2s' },
    authentication: { clientCAFiles: certificates ? [s.file('ca').cert] : [], tokenReview: { enabled: true, timeout: '2s' }, ...opts.authentication },
    identity: {
      mode: opts.mode,
      ...(opts.mode === 'requestHeader'
        ? { requestHeader: { clientCertFile: s.file('frontProxyClient').cert, clientKeyFile: s.file('frontProxyClient').key, ...opts.requestHeader } }
        : {}),
    },
    ops: { address: '127.0.0.1', port: 0 },
    logging: { level: opts.logLevel ?? 'debug' },
  };
}

export async function startAuthStack(opts: AuthStackOptions): Promise<AuthStack> {
  const s = await sharedPki();
  const { pki } = s;
  const sim = createSimulator({
    tls: { certPem: pki.apiserver.certPem, keyPem: pki.apiserver.keyPem, clientCaPem: pki.ca.certPem },
    frontProxy: { caPem: pki.frontProxyCa.certPem, allowedNames: ['front-proxy-client'], ...opts.requestHeader },
    tokens: TOKEN_USERS,
    recordHeaders: true,
    seed: { namespaces: 1, secrets: 3, secretSize: 64, configmaps: 2, pods: 1 },
    ...opts.sim,
  });
  const simUrl = `https://127.0.0.1:${await sim.listen(0)}`;
  const logs: LogRecord[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        logs.push(JSON.parse(line) as LogRecord);
      }
      callback();
    },
  });
  const config = parseConfig(configDocument(s, opts, opts.upstreamServer ?? simUrl), { baseDir: s.dir });
  const registry = new Registry();
  // The production logger (its redaction configuration included), writing to the captured stream.
  const app = createApp({ config, logger: createLogger({ level: config.logging.level, destination: sink }), registry });
  const port = await new Promise<number>((resolve) => app.server.listen(0, '127.0.0.1', () => resolve((app.server.address() as AddressInfo).port)));
  const url = `https://127.0.0.1:${port}`;

  const kubeDir = mkdtempSync(join(tmpdir(), 'listgate-auth-kube-'));
  const kc = async (name: string, user: KeyPairPem | { token: string }): Promise<string> => {
    const path = join(kubeDir, `${name}.kubeconfig`);
    await writeKubeconfig(path, { name, server: url, caPem: pki.ca.certPem, user });
    return path;
  };
  const kubeconfigs = {
    jane: await kc('jane', pki.user),
    admin: await kc('admin', pki.admin),
    bot: await kc('bot', { token: TOKENS.bot }),
    janeToken: await kc('jane-token', { token: TOKENS.jane }),
  };
  const env = { ...process.env, HOME: kubeDir, KUBECACHEDIR: join(kubeDir, 'cache') };

  return {
    mode: opts.mode,
    shared: s,
    sim,
    app,
    port,
    url,
    registry,
    logs,
    logText: () => lines.join('\n'),
    kubeconfigs,
    kubectl: (kubeconfig, args) =>
      new Promise((resolve) => {
        execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      }),
    fetch: (path, o = {}) =>
      new Promise((resolve, reject) => {
        const headers = Array.isArray(o.headers) ? ['Host', `127.0.0.1:${port}`, ...o.headers] : o.headers;
        const req = request(
          { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, ca: pki.ca.certPem, agent: false, ...(o.cert ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const body = Buffer.concat(chunks).toString('utf8');
              let json: unknown;
              try {
                json = JSON.parse(body);
              } catch {
                json = undefined;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
            });
          },
        );
        req.on('error', reject);
        req.end(o.body);
      }),
    async close() {
      await app.close();
      await sim.close();
      rmSync(kubeDir, { recursive: true, force: true });
    },
  };
}
