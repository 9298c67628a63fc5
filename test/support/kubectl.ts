/**
 * kubectl (1.32, on the PATH) as tests run it: with a given kubeconfig, a private cache and HOME, and a
 * bounded run time; `spawn` for the long-running commands (get -w, logs -f, port-forward).
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** Where kubectl keeps its discovery cache and HOME (a temp folder of the test). */
  home: string;
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunningKubectl {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

const environment = (o: Pick<KubectlOptions, 'home' | 'env'>): NodeJS.ProcessEnv => ({ ...process.env, KUBECACHEDIR: join(o.home, 'kube-cache'), HOME: o.home, ...o.env });

export function runKubectl(args: string[], o: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', o.kubeconfig, ...args],
      { env: environment(o), timeout: o.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

export function spawnKubectl(args: string[], o: Omit<KubectlOptions, 'input' | 'timeoutMs'>): RunningKubectl {
  const child = spawn('kubectl', ['--kubeconfig', o.kubeconfig, ...args], { env: environment(o) });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(out);
          if (!m) return false;
          cleanup();
          resolve(m[0]);
          return true;
        };
        const onData = (): void => void check();
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`kubectl ${args.join(' ')} exited before ${re} appeared:\n${out}`));
          }
        };
        const deadline = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${re} in kubectl ${args.join(' ')} output:\n${out}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(deadline);
          child.stdout.off('data', onData);
          child.stderr.off('data', onData);
          child.off('exit', onExit);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', onExit);
        check();
      });
    },
  };
}
