/**
 * A real Redis for tests and benchmarks: Debian's `redis-server` as a child process on a loopback port,
 * without persistence (a restart starts empty, as a Redis that lost its data), ready once it logs that
 * it accepts connections. It can be stopped, killed (SIGKILL), paused (SIGSTOP: a Redis that answers
 * nothing) and started again on the same port. A small sh watchdog between this process and the server
 * kills the server when this process's end of its stdin closes, so a test process that dies (even by
 * SIGKILL) leaves no Redis behind; signals go to the server's own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './server-process.js';

export interface RedisServer {
  readonly port: number;
  readonly address: string;
  pid(): number;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill or stop). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** sh: runs the server ($0 and its arguments), prints its PID, kills it when stdin closes, exits with it. */
const WATCHDOG = 'exec 3<&0; "$0" "$@" </dev/null & r=$!; echo "redis-pid $r"; (cat <&3 >/dev/null; kill -9 $r 2>/dev/null) & wait $r';

interface Launched {
  readonly child: ChildProcess;
  readonly pid: number;
}

function launch(port: number, extra: readonly string[]): Promise<Launched> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'notice', ...extra];
  const child = spawn('sh', ['-c', WATCHDOG, process.env.REDIS_SERVER ?? 'redis-server', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const pid = /redis-pid (\d+)/.exec(log);
      if (pid && /Ready to accept connections/.test(log)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ child, pid: Number(pid[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('error', (err) => reject(new Error(`redis-server could not start (is Debian's redis-server installed?): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${log}`)));
  });
}

/** Resolves when the watchdog has exited (it exits when the server does), and lets its watcher go. */
const exited = (child: ChildProcess): Promise<void> => {
  const done = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return done.then(() => void child.stdin?.end());
};

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
};

export async function startRedisServer(opts: { args?: readonly string[] } = {}): Promise<RedisServer> {
  const port = await freePort();
  const extra = opts.args ?? [];
  let server = await launch(port, extra);
  const kills = () => signal(server.pid, 'SIGKILL');
  process.on('exit', kills);
  return {
    port,
    address: `127.0.0.1:${port}`,
    pid: () => server.pid,
    async kill() {
      signal(server.pid, 'SIGKILL');
      await exited(server.child);
    },
    async restart() {
      await exited(server.child);
      server = await launch(port, extra);
    },
    pause: () => signal(server.pid, 'SIGSTOP'),
    resume: () => signal(server.pid, 'SIGCONT'),
    async stop() {
      process.off('exit', kills);
      signal(server.pid, 'SIGCONT');
      signal(server.pid, 'SIGTERM');
      const timer = setTimeout(() => signal(server.pid, 'SIGKILL'), 3_000);
      await exited(server.child);
      clearTimeout(timer);
    },
  };
}
