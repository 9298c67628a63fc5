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
    port: { type: 'string' },
    host: { type: 'string' },
    kubeconfig: { type: 'string' },
    pki: { type: 'string' },
    'log-level': { type: 'string' },
    version: { type: 'string' },
    ...SIMULATE_DATA_FLAGS,
  });
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
