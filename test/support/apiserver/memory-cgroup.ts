/**
 * A memory cgroup for the apiserver under test (root only): cgroup v1 (`/sys/fs/cgroup/memory/NAME`,
 * what these machines mount) or v2 (`/sys/fs/cgroup/NAME`). A process joins it before it execs (see
 * `wrapCommand`), so everything it allocates is charged from its first page; the kernel OOM-kills it when
 * the limit is reached, as the kubelet's cgroup would on a node.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  readonly path: string;
  readonly version: 1 | 2;
  readonly limitBytes: number;
  /** Bytes charged now. */
  usage(): number;
  /** The highest usage since creation (v2 kernels without memory.peak: the highest usage sampled). */
  peak(): number;
  /** Starts the peak over from the current usage (v1 always; v2 where memory.peak takes a write). */
  resetPeak(): void;
  /** OOM kills inside the cgroup so far. */
  oomKills(): number;
  /** `sh -c` that moves itself into the cgroup and then execs the command. */
  wrapCommand(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the cgroup once its processes have exited (retries briefly while the kernel lets go). */
  remove(): Promise<void>;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

export function cgroupVersion(): 1 | 2 | undefined {
  if (existsSync(join(V1_ROOT, 'memory.limit_in_bytes')) || existsSync(join(V1_ROOT, 'cgroup.procs'))) return 1;
  if (existsSync(join(V2_ROOT, 'cgroup.controllers')) && readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').includes('memory')) return 2;
  return undefined;
}

/** Whether a memory cgroup can be made here (root, a memory controller). */
export function memoryCgroupsAvailable(): boolean {
  return process.getuid?.() === 0 && cgroupVersion() !== undefined;
}

const readNumber = (path: string): number => Number(readFileSync(path, 'utf8').trim());

function readKeyed(path: string, key: string): number {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k === key) return Number(v);
  }
  return 0;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const version = cgroupVersion();
  if (version === undefined || process.getuid?.() !== 0) throw new Error('a memory cgroup needs root and a mounted memory controller (cgroup v1 or v2)');
  const path = version === 1 ? join(V1_ROOT, name) : join(V2_ROOT, name);
  mkdirSync(path, { recursive: true });
  if (version === 1) {
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
  } else {
    writeFileSync(join(path, 'memory.max'), String(limitBytes));
    if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
  }
  let sampledPeak = 0;
  const usage = (): number => {
    const u = readNumber(join(path, version === 1 ? 'memory.usage_in_bytes' : 'memory.current'));
    sampledPeak = Math.max(sampledPeak, u);
    return u;
  };
  return {
    path,
    version,
    limitBytes,
    usage,
    peak() {
      if (version === 1) return readNumber(join(path, 'memory.max_usage_in_bytes'));
      const file = join(path, 'memory.peak');
      return existsSync(file) ? readNumber(file) : Math.max(sampledPeak, usage());
    },
    resetPeak() {
      sampledPeak = 0;
      try {
        writeFileSync(join(path, version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak'), version === 1 ? '0' : 'reset');
      } catch {
        // v2 kernels without a resettable memory.peak: the sampled peak starts over
      }
    },
    oomKills: () => (version === 1 ? readKeyed(join(path, 'memory.oom_control'), 'oom_kill') : readKeyed(join(path, 'memory.events'), 'oom_kill')),
    wrapCommand(command, args) {
      const procs = join(path, 'cgroup.procs');
      return { command: '/bin/sh', args: ['-c', `echo $$ > ${shellQuote(procs)} && exec "$@"`, 'cgroup-exec', command, ...args] };
    },
    async remove() {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          rmdirSync(path);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
