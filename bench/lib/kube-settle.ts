/**
 * A real kube-apiserver's memory, settled before a measurement, the way `listgate calibrate` settles it
 * (src/cli/calibrate-memory.ts), but read from its memory cgroup (what the OOM killer weighs): a
 * collection forced through the profiling endpoint (`/debug/pprof/heap?gc=1`, twice: a sync.Pool's
 * buffers survive one), then the cgroup's usage read every `intervalMs` until it stops falling (by less
 * than 1 % between two readings) or `maxMs` has passed.
 *
 * A settled Go process still keeps heap it has freed but not given back (the runtime returns it only down
 * to about 1.1 × its next heap goal, twice the live heap under GOGC=100), and the next allocations reuse
 * it before the kernel charges anything more: how much depends on what the process did before. So the
 * settled reading comes with that slack, from the apiserver's own /metrics (go_memstats_heap_idle_bytes
 * − go_memstats_heap_released_bytes): usage − slack is the memory in use, from which what a request
 * allocates shows whatever came before.
 */
import { parseMetricsText } from '../../src/estimate/prometheus-text.js';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';

export interface SettledMemory {
  /** The cgroup's usage once settled. */
  baselineBytes: number;
  /** Heap the Go runtime holds free but has not given back, when the apiserver's /metrics said. */
  slackBytes: number | undefined;
  /** Whether a collection could be forced (false: the profiling endpoint did not answer; only waited). */
  collected: boolean;
  waitedMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function settleKubeMemory(kube: Pick<KubeApiserver, 'request' | 'cgroup'>, opts: { intervalMs: number; maxMs: number }): Promise<SettledMemory> {
  const cgroup = kube.cgroup;
  if (!cgroup) throw new Error('settling the apiserver memory needs its memory cgroup');
  const started = performance.now();
  let collected = true;
  for (let i = 0; i < 2 && collected; i++) {
    const gc = await kube.request('/debug/pprof/heap?gc=1&debug=1').catch(() => ({ status: 0 }));
    collected = gc.status === 200;
  }
  let last = cgroup.usage();
  while (performance.now() - started < opts.maxMs) {
    await sleep(opts.intervalMs);
    const now = cgroup.usage();
    if (now >= last * 0.99) {
      last = Math.min(now, last);
      break;
    }
    last = now;
  }
  return { baselineBytes: last, slackBytes: await heapSlack(kube), collected, waitedMs: Math.round(performance.now() - started) };
}

/** go_memstats_heap_idle_bytes − go_memstats_heap_released_bytes from the apiserver's /metrics. */
export async function heapSlack(kube: Pick<KubeApiserver, 'request'>): Promise<number | undefined> {
  const res = await kube.request('/metrics').catch(() => undefined);
  if (res?.status !== 200) return undefined;
  const samples = parseMetricsText(res.text).samples;
  const value = (name: string): number | undefined => samples.find((s) => s.name === name)?.value;
  const idle = value('go_memstats_heap_idle_bytes');
  const released = value('go_memstats_heap_released_bytes');
  return idle !== undefined && released !== undefined ? Math.max(0, idle - released) : undefined;
}

/** The memory in use now: the cgroup's usage less the Go heap's free slack (undefined when /metrics fails). */
export async function readInUse(kube: Pick<KubeApiserver, 'request' | 'cgroup'>): Promise<number | undefined> {
  const slack = await heapSlack(kube);
  return slack === undefined ? undefined : kube.cgroup!.usage() - slack;
}

export interface InUseSampler {
  /** Stops; resolves with the highest memory in use sampled (undefined if no sample succeeded) and the count. */
  stop(): Promise<{ peakBytes: number | undefined; samples: number }>;
}

/** Samples the memory in use every `intervalMs` (one /metrics read at a time) until stopped. */
export function sampleInUse(kube: Pick<KubeApiserver, 'request' | 'cgroup'>, intervalMs: number): InUseSampler {
  let running = true;
  let peak: number | undefined;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const v = await readInUse(kube);
      if (v !== undefined) {
        samples += 1;
        peak = Math.max(peak ?? v, v);
      }
      if (running) await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakBytes: peak, samples };
    },
  };
}
