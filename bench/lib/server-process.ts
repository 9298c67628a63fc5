/**
 * The servers under measurement run as child processes (their memory and CPU are their own), logging to
 * files in the run's directory, started and stopped by a process group that also kills whatever is left
 * should the benchmark process exit early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface ServerProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

export interface ProcessGroup {
  /** Starts a server; throws when a running server of the group has its name (see `assertNameFree`). */
  spawn(opts: SpawnServerOptions): Promise<ServerProcess>;
  /**
   * Throws when a server of this group that is still running has `name`: a server's log, and a gateway's
   * config (which the running gateway reloads when the file changes), are named after it, so a second one
   * would take over the first's files. Call it before writing a server's files.
   */
  assertNameFree(name: string): void;
  stopAll(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A loopback port that was free a moment ago, for configs that must name their port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Whether something accepts TCP connections on the loopback port. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The last lines of a log, for an error that says why a server did not start. */
export function logTail(file: string, bytes = 1500): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes).trimEnd();
  } catch {
    return '(no log)';
  }
}

export function createProcessGroup(): ProcessGroup {
  const live = new Set<ServerProcess>();
  const killAll = (): void => {
    for (const p of live) p.child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  const assertNameFree = (name: string): void => {
    if ([...live].some((p) => p.name === name)) {
      throw new Error(`a server named ${name} is already running in this benchmark: give the second one a name of its own (its files are named after it)`);
    }
  };

  async function spawnServer(opts: SpawnServerOptions): Promise<ServerProcess> {
    assertNameFree(opts.name);
    const logFile = join(opts.dir, `${opts.name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(opts.command, opts.args, { stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
    closeSync(fd);
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
    const proc: ServerProcess = {
      name: opts.name,
      pid: child.pid ?? -1,
      child,
      logFile,
      exited,
      async stop(graceMs = 5000) {
        live.delete(proc);
        if (exitCode !== undefined) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
    live.add(proc);
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${opts.name} exited with ${exitCode} before it was ready (log: ${logFile}):\n${logTail(logFile)}`);
      if (await opts.ready().catch(() => false)) return proc;
      await sleep(100);
    }
    await proc.stop(1000);
    throw new Error(`${opts.name} was not ready within ${opts.timeoutMs ?? 60_000} ms (log: ${logFile})`);
  }

  return {
    spawn: spawnServer,
    assertNameFree,
    async stopAll() {
      await Promise.all([...live].map((p) => p.stop()));
      process.off('exit', killAll);
    },
  };
}
