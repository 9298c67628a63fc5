/**
 * `listgate simulate`: the kube-apiserver simulator on its own, with seeded data, an optional OOM limit
 * and an admin kubeconfig for it.
 */
import { createDevPki, readDevPki, type DevPki } from '../certs/dev-pki.js';
import { writeKubeconfig } from '../certs/kubeconfig.js';
import { createLogger } from '../log.js';
import { createSimulator, type SeedOptions } from '../simulator/simulator.js';
import { isSimulatorVersion, SIMULATOR_VERSIONS } from '../simulator/version-profile.js';
import { boolFlag, bytesFlag, CliError, intFlag, parseFlags } from './args.js';
import { untilSignal } from './lifecycle.js';

export const SIMULATE_HELP = `Usage: listgate simulate [flags]

Runs the kube-apiserver simulator over HTTPS. It authenticates client certificates of the PKI's CA and
trusts X-Remote-* request headers from its front-proxy client certificate (requestHeader mode).

Flags:
  --port P               port to listen on (default 6443; 0 picks a free one)
  --host ADDR            address to listen on (default 127.0.0.1)
  --kubeconfig FILE      write an admin (system:masters) kubeconfig for the simulator to FILE
  --pki DIR              use the certificates of 'listgate certs init --dir DIR' (default: fresh ones)
  --secrets N            secrets to seed (default 100)
  --secret-size BYTES    decoded size of each secret's payload, e.g. 1Mi (default 4Ki)
  --namespaces N         extra namespaces ns-0..ns-N-1 to spread objects over (default 4)
  --configmaps N         configmaps to seed (default 20)
  --pods N               pods to seed (default 5)
  --oom-limit BYTES      model an OOM kill when in-flight response memory passes BYTES, e.g. 10Gi (default: never)
  --watch-list=BOOL      serve streaming lists (sendInitialEvents); false answers like 1.32 on an etcd older than
                         3.4.31/3.5.13: HTTP 200 and one ERROR event (default true)
  --version V            the kube-apiserver release to present: 1.32 (default) or 1.34 (adds the
                         apiserver_resource_objects and apiserver_resource_size_estimate_bytes metrics)
  --log-level LEVEL      pino level (default info)
`;

export interface SimulateSettings {
  seed: SeedOptions;
  oomLimitBytes: number | undefined;
  watchList: boolean;
}

export const SIMULATE_DATA_FLAGS = {
  secrets: { type: 'string' },
  'secret-size': { type: 'string' },
  namespaces: { type: 'string' },
  configmaps: { type: 'string' },
  pods: { type: 'string' },
  'oom-limit': { type: 'string' },
  'watch-list': { type: 'string' },
} as const;

/** Reads the data flags shared by `simulate` and `demo`, with each command's defaults. */
export function simulateSettings(command: string, values: Record<string, unknown>, defaults: SimulateSettings): SimulateSettings {
  return {
    seed: {
      secrets: intFlag(command, 'secrets', values.secrets, defaults.seed.secrets ?? 0),
      secretSize: bytesFlag(command, 'secret-size', values['secret-size'], defaults.seed.secretSize) ?? 0,
      namespaces: intFlag(command, 'namespaces', values.namespaces, defaults.seed.namespaces ?? 0),
      configmaps: intFlag(command, 'configmaps', values.configmaps, defaults.seed.configmaps ?? 0),
      pods: intFlag(command, 'pods', values.pods, defaults.seed.pods ?? 0),
    },
    oomLimitBytes: bytesFlag(command, 'oom-limit', values['oom-limit'], defaults.oomLimitBytes),
    watchList: boolFlag(command, 'watch-list', values['watch-list'], defaults.watchList),
  };
}

export async function runSimulate(argv: string[]): Promise<void> {
  const { values } = parseFlags('simulate', argv, {
    help: { type: 'boolean', short: 'h' },
    port: { type: 'string' },
    host: { type: 'string' },
    kubeconfig: { type: 'string' },
    pki: { type: 'string' },
    'log-level': { type: 'string' },
    version: { type: 'string' },
    ...SIMULATE_DATA_FLAGS,
  });
  if (values.help) {
    process.stdout.write(SIMULATE_HELP);
    return;
  }
  const settings = simulateSettings('simulate', values, {
    seed: { secrets: 100, secretSize: 4096, namespaces: 4, configmaps: 20, pods: 5 },
    oomLimitBytes: undefined,
    watchList: true,
  });
  const version = typeof values.version === 'string' ? values.version : '1.32';
  if (!isSimulatorVersion(version)) {
    throw new CliError(`listgate simulate: --version must be one of ${SIMULATOR_VERSIONS.join(', ')}, got "${version}"`);
  }
  const port = intFlag('simulate', 'port', values.port, 6443);
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  const pki: DevPki = typeof values.pki === 'string' ? await readDevPki(values.pki) : createDevPki();
  const logger = createLogger({ level: typeof values['log-level'] === 'string' ? values['log-level'] : 'info', name: 'simulator' });

  const sim = createSimulator({
    tls: { certPem: pki.apiserver.certPem, keyPem: pki.apiserver.keyPem, clientCaPem: pki.ca.certPem },
    // Trusts the PKI's front proxy, so a gateway in requestHeader mode can forward identities to it.
    frontProxy: { caPem: pki.frontProxyCa.certPem, allowedNames: ['front-proxy-client'] },
    seed: settings.seed,
    oomLimitBytes: settings.oomLimitBytes,
    watchList: settings.watchList,
    version,
    logger,
  });
  const bound = await sim.listen(port, host);
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  if (typeof values.kubeconfig === 'string') {
    await writeKubeconfig(values.kubeconfig, { name: 'simulator-admin', server, caPem: pki.ca.certPem, user: pki.admin });
  }
  process.stdout.write(`simulator ready on ${server}${typeof values.kubeconfig === 'string' ? ` (admin kubeconfig: ${values.kubeconfig})` : ''}\n`);
  await untilSignal();
  await sim.close();
}
