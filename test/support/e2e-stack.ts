/**
 * The whole demo stack (simulator + gateway + kubeconfigs) on loopback ports, and a kubectl runner.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoStack, type DemoStack, type DemoStackOptions } from '../../src/cli/demo-stack.js';
import { createLogger } from '../../src/log.js';
import { runKubectl, spawnKubectl, type KubectlResult, type RunningKubectl } from './kubectl.js';

export type { KubectlResult } from './kubectl.js';

export interface E2EStack extends DemoStack {
  /** Runs kubectl with the user kubeconfig (through the gateway) unless `kubeconfig` says otherwise. */
  kubectl(args: string[], opts?: { kubeconfig?: string; input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts a long-running kubectl (get -w, logs -f, port-forward) and collects its output. */
  spawnKubectl(args: string[], opts?: { env?: Record<string, string> }): RunningKubectl;
}

export async function startE2EStack(overrides: Partial<DemoStackOptions> = {}): Promise<E2EStack> {
  const dir = await mkdtemp(join(tmpdir(), 'listgate-e2e-'));
  const stack = await startDemoStack({
    dir,
    gatewayPort: 0,
    upstreamPort: 0,
    opsPort: 0,
    logLevel: 'silent',
    seed: { secrets: 30, secretSize: 2048, namespaces: 3, configmaps: 10, pods: 3 },
    oomLimitBytes: undefined,
    watchList: true,
    logger: createLogger({ level: 'silent' }),
    ...overrides,
  });
  const home = dir;
  return {
    ...stack,
    kubectl: (args, opts = {}) => runKubectl(args, { kubeconfig: opts.kubeconfig ?? stack.kubeconfig, home, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }),
    spawnKubectl: (args, opts = {}) => spawnKubectl(args, { kubeconfig: stack.kubeconfig, home, ...(opts.env ? { env: opts.env } : {}) }),
    async close() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
