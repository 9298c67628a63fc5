/**
 * What every benchmark stands up: a development PKI on disk, the simulator (`listgate simulate`) and the
 * gateway (`listgate serve`) as separate processes on loopback, each with its own log file, started from
 * the built CLI exactly as an operator runs them.
 */
import { request as httpRequest } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createDevPki, pkiPaths, writeDevPki, type DevPki } from '../../src/certs/dev-pki.js';
import { issueClientCert } from '../../src/certs/pki.js';
import { parseMetricsText, type MetricSample } from '../../src/estimate/prometheus-text.js';
import { createClientAgent, fetchOnce, type ClientIdentity, type Target } from './https-client.js';
import { freePort, type ProcessGroup, type ServerProcess } from './server-process.js';

/** dist/bench/lib → dist/src/cli.js */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js');

export interface BenchPki {
  dir: string;
  pki: DevPki;
  admin: ClientIdentity;
  user: ClientIdentity;
  path(name: Parameters<typeof pkiPaths>[1]): { cert: string; key: string };
}

export async function writeBenchPki(dir: string): Promise<BenchPki> {
  const pkiDir = join(dir, 'pki');
  const pki = createDevPki();
  await writeDevPki(pkiDir, pki);
  const caPem = pki.ca.certPem;
  return {
    dir: pkiDir,
    pki,
    admin: { caPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem },
    user: { caPem, certPem: pki.user.certPem, keyPem: pki.user.keyPem },
    path: (name) => pkiPaths(pkiDir, name),
  };
}

/** Client certificates of the cluster CA for `count` distinct service accounts (one flow each). */
export function serviceAccountIdentities(pki: BenchPki, count: number, namespace = 'default'): Array<ClientIdentity & { user: string }> {
  return Array.from({ length: count }, (_, i) => {
    const user = `system:serviceaccount:${namespace}:informer-${i}`;
    const pair = issueClientCert(pki.pki.ca, { commonName: user, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] });
    return { caPem: pki.pki.ca.certPem, certPem: pair.certPem, keyPem: pair.keyPem, user };
  });
}

export interface SimulatorSeed {
  secrets: number;
  secretSize: number;
  namespaces: number;
  configmaps: number;
  pods: number;
}

export interface SimulatorProcess {
  proc: ServerProcess;
  target: Target;
  url: string;
  /** The simulator's /metrics, parsed (as admin). */
  scrape(): Promise<MetricSample[]>;
}

export async function startSimulatorProcess(
  group: ProcessGroup,
  opts: { dir: string; pki: BenchPki; seed: SimulatorSeed; oomLimitBytes?: number; heapMb?: number; name?: string; version?: '1.32' | '1.34' },
): Promise<SimulatorProcess> {
  const port = await freePort();
  const target: Target = { name: 'direct', host: '127.0.0.1', port };
  const agent = createClientAgent(opts.pki.admin, { maxSockets: 2, keepAlive: true });
  const s = opts.seed;
  const args = [
    ...(opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : []),
    CLI, 'simulate', '--port', String(port), '--pki', opts.pki.dir, '--log-level', 'warn',
    '--secrets', String(s.secrets), '--secret-size', String(s.secretSize), '--namespaces', String(s.namespaces),
    '--configmaps', String(s.configmaps), '--pods', String(s.pods),
    ...(opts.oomLimitBytes !== undefined ? ['--oom-limit', String(opts.oomLimitBytes)] : []),
    ...(opts.version ? ['--version', opts.version] : []),
  ];
  const scrape = async (): Promise<MetricSample[]> => {
    const res = await fetchOnce({ target, path: '/metrics', agent, keepBytes: 4 * 1024 * 1024, headers: { Accept: 'text/plain' } });
    if (res.status !== 200) throw new Error(`simulator /metrics answered ${res.status}`);
    return parseMetricsText(res.head.toString('utf8')).samples;
  };
  const proc = await group.spawn({
    name: opts.name ?? 'simulator',
    command: process.execPath,
    args,
    dir: opts.dir,
    ready: async () => (await fetchOnce({ target, path: '/version', agent })).status === 200,
    timeoutMs: 120_000,
  });
  proc.exited.then(() => agent.destroy(), () => agent.destroy());
  return { proc, target, url: `https://127.0.0.1:${port}`, scrape };
}

export interface GatewayProcess {
  proc: ServerProcess;
  target: Target;
  opsPort: number;
  configPath: string;
  /** The ops port's /metrics text. */
  metricsText(): Promise<string>;
}

/** Plain HTTP GET on the ops port. */
export function opsGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * The gateway in requestHeader mode (client certificates of the cluster CA, identities forwarded with the
 * front-proxy certificate), logging at `info` to its log file as an operator would run it. `sections` adds
 * or replaces top-level config sections (e.g. `admission`).
 */
export async function startGatewayProcess(
  group: ProcessGroup,
  opts: {
    dir: string;
    pki: BenchPki;
    upstream: Pick<SimulatorProcess, 'url'>;
    sections?: Record<string, unknown>;
    name?: string;
    logLevel?: string;
    /** Node options for the gateway process (e.g. `--cpu-prof`). */
    nodeArgs?: string[];
    /** Keys merged into the `upstream` and `listen` sections (e.g. `protocol`, `http2`). */
    upstreamSettings?: Record<string, unknown>;
    listenSettings?: Record<string, unknown>;
  },
): Promise<GatewayProcess> {
  const [port, opsPort] = [await freePort(), await freePort()];
  const p = opts.pki.path;
  const doc = {
    listen: { address: '127.0.0.1', port, ...opts.listenSettings },
    tls: { certFile: p('gateway').cert, keyFile: p('gateway').key },
    upstream: { server: opts.upstream.url, caFile: p('ca').cert, clientCertFile: p('gatewayUpstream').cert, clientKeyFile: p('gatewayUpstream').key, ...opts.upstreamSettings },
    authentication: { clientCAFiles: [p('ca').cert], tokenReview: { enabled: false } },
    identity: { mode: 'requestHeader', requestHeader: { clientCertFile: p('frontProxyClient').cert, clientKeyFile: p('frontProxyClient').key } },
    ops: { address: '127.0.0.1', port: opsPort },
    logging: { level: opts.logLevel ?? 'info' },
    shutdown: { readinessGracePeriod: '0s', drainTimeout: '1s' },
    ...opts.sections,
  };
  const name = opts.name ?? 'gateway';
  group.assertNameFree(name);
  const configPath = join(opts.dir, `${name}.yaml`);
  await writeFile(configPath, stringify(doc));
  const proc = await group.spawn({
    name,
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), CLI, 'serve', '--config', configPath],
    dir: opts.dir,
    ready: async () => (await opsGet(opsPort, '/readyz')).status === 200,
    timeoutMs: 60_000,
  });
  return {
    proc,
    target: { name: 'listgate', host: '127.0.0.1', port },
    opsPort,
    configPath,
    async metricsText() {
      return (await opsGet(opsPort, '/metrics')).body;
    },
  };
}

/** The value of a sample by name (and labels), or undefined. */
export function sampleValue(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
