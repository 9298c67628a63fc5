/**
 * The whole demo stack (simulator + gateway + kubeconfigs) on loopback ports, and a kubectl runner.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoStack, type DemoStack, type DemoStackOptions } from '../../src/cli/demo-stack.js';
import { createLogger } from '../../src/log.js';

export interface E2EStack extends DemoStack {
  /** Runs kubectl with the user kubeconfig (through the gateway) unless `kubeconfig` says otherwise. */
  kubectl(args: string[], opts?: { kubeconfig?: string; input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts a long-running kubectl (get -w, logs -f, port-forward) and collects its output. */
  spawnKubectl(args: string[], opts?: { env?: Record<string, string> }): { child: ChildProcessWithoutNullStreams; output(): string; waitFor(re: RegExp, timeoutMs?: number): Promise<string> };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
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
  const env = { ...process.env, KUBECACHEDIR: join(dir, 'kube-cache'), HOME: dir };
  return {
    ...stack,
    kubectl(args, opts = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          'kubectl',
          ['--kubeconfig', opts.kubeconfig ?? stack.kubeconfig, ...args],
          { env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
      });
    },
    spawnKubectl(args, opts = {}) {
      const child = spawn('kubectl', ['--kubeconfig', stack.kubeconfig, ...args], { env: { ...env, ...opts.env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      return {
        child,
        output: () => out,
        waitFor(re, timeoutMs = 15_000) {
          return new Promise((resolve, reject) => {
            const deadline = setTimeout(() => {
              clearInterval(poll);
              reject(new Error(`timed out waiting for ${re} in kubectl ${args.join(' ')} output:\n${out}`));
            }, timeoutMs);
            const poll = setInterval(() => {
              const m = re.exec(out);
              if (m) {
                clearInterval(poll);
                clearTimeout(deadline);
                resolve(m[0]);
              }
            }, 25);
          });
        },
      };
    },
    async close() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
