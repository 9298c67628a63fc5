/**
 * The demo's stack, reusable by the tests: a fresh development PKI, the simulator (trusting the demo's
 * front-proxy CA, with one bearer-token user), the gateway in front of it in requestHeader mode (client
 * certificates of the cluster CA and TokenReview for tokens), and the files an operator uses
 * (kubeconfigs for an ordinary user, a token user and an admin through the gateway, one straight to the
 * simulator, and listgate.yaml).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { createDevPki, pkiPaths, writeDevPki, type DevPki } from '../certs/dev-pki.js';
import { writeKubeconfig } from '../certs/kubeconfig.js';
import { loadConfigFile } from '../config/config.js';
import { startGateway } from '../serve.js';
import { createSimulator, type AccessRule, type SeedOptions, type Simulator, type SimulatorVersion } from '../simulator/simulator.js';

export interface DemoStackOptions {
  dir: string;
  gatewayPort: number;
  upstreamPort: number;
  opsPort: number;
  logLevel: string;
  seed: SeedOptions;
  oomLimitBytes: number | undefined;
  watchList: boolean;
  logger: Logger;
  /** The config's `admission` section; default `demoAdmission(oomLimitBytes)`. */
  admission?: Record<string, unknown>;
  /** The simulator's access rules; default none (every authenticated user may do everything). */
  access?: AccessRule[];
  /** Users the simulator lets impersonate besides system:masters. */
  impersonators?: string[];
  /** The release the simulator presents (default 1.32; 1.34 publishes the object size metric). */
  version?: SimulatorVersion;
}

/**
 * The demo's admission: a budget of half the simulator's OOM limit (1Gi for the default 2Gi; 1Gi without
 * a limit), so 16 concurrent full LISTs of the demo's secrets, which kill the simulator when sent to it
 * directly (16 × ~300Mi modeled), all complete through the gateway; leases are assumed held 1 s until
 * measured (loopback is fast). With an OOM limit, the adaptive budget watches the simulator's modeled
 * memory and lowers the budget above 3/4 of the limit.
 */
export function demoAdmission(oomLimitBytes: number | undefined): Record<string, unknown> {
  const budget = oomLimitBytes === undefined ? 1024 ** 3 : Math.floor(oomLimitBytes / 2);
  return {
    budget,
    initialHoldTime: '1s',
    ...(oomLimitBytes === undefined
      ? {}
      : {
          adaptive: {
            enabled: true,
            metric: 'simulator_inflight_response_bytes',
            ceiling: Math.floor(oomLimitBytes * 0.75),
            minimum: Math.floor(budget / 4),
            interval: '2s',
          },
        }),
  };
}

export interface DemoStack {
  dir: string;
  pki: DevPki;
  sim: Simulator;
  gatewayUrl: string;
  upstreamUrl: string;
  opsUrl: string;
  /** DIR/kubeconfig: the ordinary user (client certificate), through the gateway. */
  kubeconfig: string;
  /** DIR/token.kubeconfig: DEMO_TOKEN_USER (bearer token), through the gateway. */
  tokenKubeconfig: string;
  /** DIR/admin.kubeconfig: the admin (system:masters, client certificate), through the gateway: it may impersonate (`kubectl --as`). */
  adminKubeconfig: string;
  /** DIR/upstream.kubeconfig: admin, straight to the simulator. */
  upstreamKubeconfig: string;
  configPath: string;
  close(): Promise<void>;
}

/** The estimator settings that match the simulator's serving and storage (what `listgate calibrate` measures on it). */
export const SIMULATOR_ESTIMATOR_PROFILE = {
  factors: { versions: { '1.31': { consistentListFromCache: false } } },
  census: { storageEncoding: 'json' },
} as const;

/** The demo's bearer-token user, known to the simulator's token table (its TokenReview). */
export const DEMO_TOKEN_USER = { name: 'ci-bot', groups: ['ci'], uid: 'uid-ci-bot' } as const;

export async function startDemoStack(opts: DemoStackOptions): Promise<DemoStack> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const pki = createDevPki();
  await writeDevPki(join(dir, 'pki'), pki);
  const token = randomBytes(24).toString('base64url');

  const sim = createSimulator({
    tls: { certPem: pki.apiserver.certPem, keyPem: pki.apiserver.keyPem, clientCaPem: pki.ca.certPem },
    // Like kube-apiserver's --requestheader-client-ca-file and --requestheader-allowed-names.
    frontProxy: { caPem: pki.frontProxyCa.certPem, allowedNames: ['front-proxy-client'] },
    tokens: { [token]: { user: DEMO_TOKEN_USER.name, groups: [...DEMO_TOKEN_USER.groups], uid: DEMO_TOKEN_USER.uid } },
    seed: opts.seed,
    oomLimitBytes: opts.oomLimitBytes,
    watchList: opts.watchList,
    ...(opts.access ? { access: opts.access } : {}),
    ...(opts.impersonators ? { impersonators: opts.impersonators } : {}),
    ...(opts.version ? { version: opts.version } : {}),
    logger: opts.logger.child({ component: 'simulator' }),
  });
  const upstreamUrl = `https://127.0.0.1:${await sim.listen(opts.upstreamPort, '127.0.0.1')}`;
  const upstreamKubeconfig = join(dir, 'upstream.kubeconfig');
  await writeKubeconfig(upstreamKubeconfig, { name: 'simulator-admin', server: upstreamUrl, caPem: pki.ca.certPem, user: pki.admin });

  const rel = (name: Parameters<typeof pkiPaths>[1]): { cert: string; key: string } => pkiPaths('pki', name);
  const configPath = join(dir, 'listgate.yaml');
  const configDoc = {
    listen: { address: '127.0.0.1', port: opts.gatewayPort },
    tls: { certFile: rel('gateway').cert, keyFile: rel('gateway').key },
    upstream: {
      server: upstreamUrl,
      caFile: rel('ca').cert,
      clientCertFile: rel('gatewayUpstream').cert,
      clientKeyFile: rel('gatewayUpstream').key,
    },
    authentication: { clientCAFiles: [rel('ca').cert], tokenReview: { enabled: true } },
    identity: {
      mode: 'requestHeader',
      requestHeader: { clientCertFile: rel('frontProxyClient').cert, clientKeyFile: rel('frontProxyClient').key },
    },
    ops: { address: '127.0.0.1', port: opts.opsPort },
    logging: { level: opts.logLevel },
    // The simulator prices and serves consistent LISTs the way CALIBRATION.md measured them (from etcd,
    // JSON in storage) whatever release it reports, so the estimator is told; `listgate calibrate` finds the same.
    // Its 1.34 profile only adds metrics: the simulator still serves LISTs like 1.31, so that profile is pinned.
    estimator: opts.version === '1.34'
      ? { ...SIMULATOR_ESTIMATOR_PROFILE, factors: { ...SIMULATOR_ESTIMATOR_PROFILE.factors, upstreamVersion: '1.31' } }
      : SIMULATOR_ESTIMATOR_PROFILE,
    admission: opts.admission ?? demoAdmission(opts.oomLimitBytes),
  };
  await writeFile(configPath, `# listgate demo configuration (written by 'listgate demo')\n${stringify(configDoc)}`);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    // The gateway's own parts bind their `component` (estimator, admission) on this logger: it binds none itself.
    gateway = await startGateway({ config: await loadConfigFile(configPath), configPath, logger: opts.logger });
  } catch (err) {
    await sim.close();
    throw err;
  }
  const gatewayUrl = `https://127.0.0.1:${gateway.port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { name: 'listgate-demo', server: gatewayUrl, caPem: pki.ca.certPem, user: pki.user });
  const tokenKubeconfig = join(dir, 'token.kubeconfig');
  await writeKubeconfig(tokenKubeconfig, { name: 'listgate-demo-token', server: gatewayUrl, caPem: pki.ca.certPem, user: { token } });
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  await writeKubeconfig(adminKubeconfig, { name: 'listgate-demo-admin', server: gatewayUrl, caPem: pki.ca.certPem, user: pki.admin });

  return {
    dir,
    pki,
    sim,
    gatewayUrl,
    upstreamUrl,
    opsUrl: `http://127.0.0.1:${gateway.opsPort}`,
    kubeconfig,
    tokenKubeconfig,
    adminKubeconfig,
    upstreamKubeconfig,
    configPath,
    async close() {
      await gateway.close();
      await sim.close();
    },
  };
}
