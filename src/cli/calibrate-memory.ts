/**
 * What `listgate calibrate` reads of the apiserver's memory, from its /metrics: the simulator's modeled
 * in-flight bytes where it has them; else, on a Go server, the memory in use: its resident memory (what
 * the kernel's OOM killer counts) less the heap Go has freed but keeps (go_memstats_heap_idle_bytes −
 * go_memstats_heap_released_bytes), which the next allocations reuse before the process grows; else the
 * resident memory alone; else the Go heap in use. The resident memory alone depends on what came before:
 * after a large LIST a Go process keeps gigabytes of freed heap and gives it back over minutes, and the
 * next LIST is served from that before its resident memory rises at all.
 * A step is measured from a settled baseline: `settle` forces a collection through the apiserver's
 * profiling endpoint (`/debug/pprof/heap?gc=1`, twice: a sync.Pool's buffers survive one) and waits
 * until the memory stops falling. Where profiling is off or not granted, it waits `settleMs` and says so.
 */
import { GO_KEPT_HEAP_METRICS, heapSlack, readMetrics } from '../admit/adaptive-budget.js';
import type { KubeTarget } from './calibrate-client.js';

/** The measures, in the order they are preferred; `resident_in_use` is derived from three Go metrics. */
export const MEMORY_METRICS = ['simulator_inflight_response_bytes', 'resident_in_use', 'process_resident_memory_bytes', 'go_memstats_heap_inuse_bytes'] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];

export const MEMORY_METRIC_WORDS: Record<MemoryMetric, string> = {
  simulator_inflight_response_bytes: 'simulator_inflight_response_bytes',
  resident_in_use: 'process_resident_memory_bytes less the free heap Go keeps (go_memstats_heap_idle_bytes − go_memstats_heap_released_bytes)',
  process_resident_memory_bytes: 'process_resident_memory_bytes',
  go_memstats_heap_inuse_bytes: 'go_memstats_heap_inuse_bytes',
};

export type Readings = Partial<Record<MemoryMetric, number>>;

const SCRAPED = ['simulator_inflight_response_bytes', 'process_resident_memory_bytes', 'go_memstats_heap_inuse_bytes', ...GO_KEPT_HEAP_METRICS];

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The measures one /metrics text gives (one parse; the kept heap as the adaptive budget reads it). */
export function memoryReadings(text: string): Readings {
  const found = readMetrics(text, SCRAPED);
  const out: Readings = {};
  for (const m of ['simulator_inflight_response_bytes', 'process_resident_memory_bytes', 'go_memstats_heap_inuse_bytes'] as const) {
    const v = found.get(m);
    if (v !== undefined) out[m] = v;
  }
  const rss = found.get('process_resident_memory_bytes');
  if (rss !== undefined && GO_KEPT_HEAP_METRICS.every((m) => found.has(m))) out.resident_in_use = rss - heapSlack(found);
  return out;
}

export async function scrapeMemory(target: KubeTarget): Promise<Readings> {
  const res = await target.get('/metrics', 'text/plain;version=0.0.4');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: the kubeconfig's user needs get on the nonResourceURL /metrics`);
  return memoryReadings(res.text);
}

export interface SettleOptions {
  metric: MemoryMetric;
  intervalMs: number;
  /** The longest wait for the memory to stop falling (and the wait when no collection can be forced). */
  settleMs: number;
}

export interface Settled {
  /** The settled readings (the chosen metric's is the baseline). */
  readings: Readings;
  baseline: number;
  /** Whether a collection could be forced; false: only waited. */
  collected: boolean;
}

/** Forces a collection (when it may) and waits until the metric has stopped falling. */
export async function settle(target: KubeTarget, o: SettleOptions): Promise<Settled> {
  let collected = true;
  for (let i = 0; i < 2 && collected; i++) {
    const gc = await target.get('/debug/pprof/heap?gc=1&debug=1', 'text/plain').catch(() => ({ status: 0, text: '' }));
    collected = gc.status === 200;
  }
  const deadline = Date.now() + o.settleMs;
  let last = await scrapeMemory(target);
  const value = (r: Readings): number => r[o.metric] ?? 0;
  if (!collected) {
    await sleep(o.settleMs);
    const now = await scrapeMemory(target);
    return { readings: now, baseline: value(now), collected };
  }
  while (Date.now() < deadline) {
    await sleep(o.intervalMs);
    const now = await scrapeMemory(target);
    // Falling by less than 1 % (or rising: something else allocates) between two readings: settled.
    if (value(now) >= value(last) * 0.99) {
      const lower = value(now) <= value(last) ? now : last;
      return { readings: lower, baseline: value(lower), collected };
    }
    last = now;
  }
  return { readings: last, baseline: value(last), collected };
}

export interface MemorySampler {
  /** The highest reading of each measure so far (the starting readings' where none was higher). */
  readonly peak: Readings;
  /** Stops; resolves with the peak once the sample in progress is in. */
  stop(): Promise<Readings>;
}

/**
 * Samples the memory every `intervalMs` (one /metrics read at a time) from now until stopped: a LIST's
 * peak comes while the server builds the response, before its first byte is sent.
 */
export function sampleMemory(target: KubeTarget, intervalMs: number, from: Readings): MemorySampler {
  let running = true;
  const peak: Readings = { ...from };
  const loop = (async () => {
    while (running) {
      const now = await scrapeMemory(target).catch(() => ({}) as Readings);
      for (const m of MEMORY_METRICS) {
        const v = now[m];
        if (v !== undefined) peak[m] = Math.max(peak[m] ?? v, v);
      }
      if (running) await sleep(intervalMs);
    }
  })();
  return {
    peak,
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}
