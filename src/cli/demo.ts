/**
 * `listgate demo`: the embedded default. Starts the simulator and the gateway on loopback, writes
 * DIR/kubeconfig (an ordinary user of the gateway, client certificate), DIR/token.kubeconfig (a
 * bearer-token user of the gateway), DIR/upstream.kubeconfig (admin, straight to the simulator) and
 * DIR/listgate.yaml (the gateway config, requestHeader forwarding), prints `ready` and the commands to
 * try, and runs until SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { DEV_USER } from '../certs/dev-pki.js';
import { createLogger } from '../log.js';
import { intFlag, parseFlags } from './args.js';
import { DEMO_TOKEN_USER, startDemoStack } from './demo-stack.js';
import { untilSignal } from './lifecycle.js';
import { SIMULATE_DATA_FLAGS, simulateSettings } from './simulate.js';

export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseFlags('demo', argv, {
    dir: { type: 'string' },
    port: { type: 'string' },
    'upstream-port': { type: 'string' },
    'ops-port': { type: 'string' },
    'log-level': { type: 'string' },
    'json-logs': { type: 'boolean' },
    ...SIMULATE_DATA_FLAGS,
  });
  const settings = simulateSettings('demo', values, {
    seed: { secrets: 200, secretSize: 256 * 1024, namespaces: 4, configmaps: 20, pods: 5 },
    oomLimitBytes: 2 * 1024 ** 3,
    watchList: true,
  });
  const dir = resolve(typeof values.dir === 'string' ? values.dir : '.demo');
  const gatewayPort = intFlag('demo', 'port', values.port, 8443);
  const upstreamPort = intFlag('demo', 'upstream-port', values['upstream-port'], 6443);
  const opsPort = intFlag('demo', 'ops-port', values['ops-port'], 8081);
  const logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';
  const pretty = values['json-logs'] !== true;

  const logger = createLogger({ level: logLevel, pretty });
  const stack = await startDemoStack({ dir, gatewayPort, upstreamPort, opsPort, logLevel, logger, ...settings });
  const gatewayUrl = stack.gatewayUrl;
  const upstreamUrl = stack.upstreamUrl;
  const kc = stack.kubeconfig;
  process.stdout.write(
    [
      `listgate demo ready: gateway ${gatewayUrl} (metrics ${stack.opsUrl}/metrics) -> simulator ${upstreamUrl}`,
      `  user kubeconfig (${DEV_USER.name}, client certificate, through the gateway): ${kc}`,
      `  token kubeconfig (${DEMO_TOKEN_USER.name}, bearer token, through the gateway): ${stack.tokenKubeconfig}`,
      `  admin kubeconfig (straight to the simulator): ${stack.upstreamKubeconfig}`,
      '',
      'Try:',
      `  kubectl --kubeconfig ${kc} auth whoami`,
      `  kubectl --kubeconfig ${stack.tokenKubeconfig} auth whoami`,
      `  kubectl --kubeconfig ${kc} get namespaces`,
      `  kubectl --kubeconfig ${kc} get secrets -A --chunk-size=50`,
      `  kubectl --kubeconfig ${kc} get --raw '/api/v1/secrets?limit=1'`,
      `  kubectl --kubeconfig ${kc} get configmaps -n default -w`,
      `  kubectl --kubeconfig ${kc} create configmap hello --from-literal=greeting=hi`,
      `  kubectl --kubeconfig ${kc} logs -f -n default pod-0`,
      `  kubectl --kubeconfig ${kc} exec -n default pod-0 -- echo hello through listgate`,
      '',
      'The storm: 16 concurrent full LISTs of the secrets (docs/admission.md):',
      `  through listgate, all complete:   for i in $(seq 16); do kubectl --kubeconfig ${kc} get --raw /api/v1/secrets >/dev/null & done; wait`,
      `  straight to the simulator, OOM:   for i in $(seq 16); do kubectl --kubeconfig ${stack.upstreamKubeconfig} get --raw /api/v1/secrets >/dev/null & done; wait`,
      `  the simulator's OOM kills:         kubectl --kubeconfig ${stack.upstreamKubeconfig} get --raw /metrics | grep simulator_oom_kills_total`,
      `  listgate's budget and leases:      curl -s ${stack.opsUrl}/metrics | grep -E 'listgate_admission_(in_use|queued|rejections)'`,
      '',
    ].join('\n'),
  );
  const signal = await untilSignal();
  logger.info({ signal }, 'demo stopping');
  await stack.close();
}
