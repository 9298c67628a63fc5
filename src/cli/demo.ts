/**
 * `listgate demo`: the embedded default. Checks that its ports are free, then starts the simulator and
 * the gateway on loopback, writes DIR/kubeconfig (an ordinary user of the gateway, client certificate),
 * DIR/token.kubeconfig (a bearer-token user of the gateway), DIR/admin.kubeconfig (system:masters,
 * through the gateway: it may impersonate with `kubectl --as`), DIR/upstream.kubeconfig (admin, straight
 * to the simulator) and DIR/listgate.yaml (the gateway config, requestHeader forwarding), prints `ready`
 * and the commands to try, and runs until SIGINT/SIGTERM. Its log is one line per record on the terminal
 * (src/cli/demo-log.ts), or the gateway's JSON lines with --json-logs.
 */
import { resolve } from 'node:path';
import { DEV_USER } from '../certs/dev-users.js';
import { createLogger } from '../log.js';
import { intFlag, parseFlags } from './args.js';
import { createDemoLogStream } from './demo-log.js';
import { DEMO_TOKEN_USER, startDemoStack, type DemoStack } from './demo-stack.js';
import { checkPortsFree } from './free-ports.js';
import { untilSignal } from './lifecycle.js';
import { SIMULATE_DATA_FLAGS, simulateSettings } from './simulate.js';

/** A streaming list (a watch with sendInitialEvents=true): every secret, one event a line, none assembled in the apiserver's memory. */
const STREAMING_LIST = '/api/v1/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=5';

/** What the demo prints once it is ready: where things are and commands whose output fits a terminal. */
export function demoIntroduction(stack: Pick<DemoStack, 'gatewayUrl' | 'upstreamUrl' | 'opsUrl' | 'kubeconfig' | 'tokenKubeconfig' | 'adminKubeconfig' | 'upstreamKubeconfig'>): string {
  const kc = stack.kubeconfig;
  const admin = stack.adminKubeconfig;
  const upstream = stack.upstreamKubeconfig;
  return [
    `listgate demo ready: gateway ${stack.gatewayUrl} (metrics ${stack.opsUrl}/metrics) -> simulator ${stack.upstreamUrl}`,
    `  user kubeconfig (${DEV_USER.name}, client certificate, through the gateway): ${kc}`,
    `  token kubeconfig (${DEMO_TOKEN_USER.name}, bearer token, through the gateway): ${stack.tokenKubeconfig}`,
    `  admin kubeconfig (system:masters, through the gateway; may use --as): ${admin}`,
    `  upstream kubeconfig (admin, straight to the simulator): ${upstream}`,
    '',
    'Try:',
    `  kubectl --kubeconfig ${kc} auth whoami`,
    `  kubectl --kubeconfig ${stack.tokenKubeconfig} auth whoami`,
    `  kubectl --kubeconfig ${admin} auth whoami`,
    `  kubectl --kubeconfig ${admin} --as ${DEV_USER.name} --as-group ${DEV_USER.groups[0]} auth whoami`,
    `  kubectl --kubeconfig ${kc} get namespaces`,
    `  kubectl --kubeconfig ${kc} get secrets -A --chunk-size=50`,
    `  kubectl --kubeconfig ${kc} get secrets -A --chunk-size=50 -o name | head -5`,
    `  kubectl --kubeconfig ${kc} get --raw '${STREAMING_LIST}' | cut -c1-120 | head -3`,
    `  kubectl --kubeconfig ${kc} get configmaps -n default -w`,
    `  kubectl --kubeconfig ${kc} create configmap hello --from-literal=greeting=hi`,
    `  kubectl --kubeconfig ${kc} logs -f -n default pod-0`,
    `  kubectl --kubeconfig ${kc} exec -n default pod-0 -- echo hello through listgate`,
    `  kubectl --kubeconfig ${kc} scale -n default deployment/deploy-0 --replicas=3`,
    `  kubectl --kubeconfig ${kc} auth can-i list secrets -n default`,
    `  kubectl --kubeconfig ${kc} events -n default`,
    `  kubectl --kubeconfig ${kc} explain pods.spec.containers`,
    '',
    'The storm: 16 concurrent full LISTs of the secrets (docs/admission.md):',
    `  through listgate, all complete:   for i in $(seq 16); do kubectl --kubeconfig ${kc} get --raw /api/v1/secrets >/dev/null & done; wait`,
    `  straight to the simulator, OOM:   for i in $(seq 16); do kubectl --kubeconfig ${upstream} get --raw /api/v1/secrets >/dev/null & done; wait`,
    `  the simulator's OOM kills:         kubectl --kubeconfig ${upstream} get --raw /metrics | grep simulator_oom_kills_total`,
    `  listgate's budget and leases:      curl -s ${stack.opsUrl}/metrics | grep -E 'listgate_admission_(in_use|queued|rejections)'`,
    '',
  ].join('\n');
}

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

  // Before anything is generated: a port in use is one line, not a stack trace after the PKI is written.
  await checkPortsFree('127.0.0.1', [
    { port: gatewayPort, what: 'the gateway', flag: '--port' },
    { port: upstreamPort, what: 'the simulator', flag: '--upstream-port' },
    { port: opsPort, what: "the gateway's health and metrics", flag: '--ops-port' },
  ]);
  const logger = createLogger({ level: logLevel, ...(values['json-logs'] === true ? {} : { destination: createDemoLogStream() }) });
  // The simulator presents 1.32, as the real-apiserver suite runs: no object size metric, so a cold gateway
  // samples the Secrets' sizes before it prices their first LIST.
  const stack = await startDemoStack({ dir, gatewayPort, upstreamPort, opsPort, logLevel, logger, ...settings });
  process.stdout.write(demoIntroduction(stack));
  const signal = await untilSignal();
  logger.info({ signal }, 'demo stopping');
  await stack.close();
}
