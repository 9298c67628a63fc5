/**
 * What `listgate calibrate` reads of the apiserver's memory, from its /metrics: the simulator's modeled
 * in-flight bytes where it has them, else the process's resident memory (what the kernel's OOM killer
 * counts), else the Go heap in use. A Go apiserver keeps what it has freed until its collector runs and
 * then gives it back to the system only gradually, so a step is measured from a settled baseline:
 * `settle` forces a collection through the apiserver's profiling endpoint (`/debug/pprof/heap?gc=1`,
 * twice: a sync.Pool's buffers survive one) and waits until the memory stops falling. Where profiling is
 * off or not granted, it waits `settleMs` and says so.
 */
import { parseMetricsText } from '../estimate/prometheus-text.js';
import type { KubeTarget } from './calibrate-client.js';

export const MEMORY_METRICS = ['simulator_inflight_response_bytes', 'process_resident_memory_bytes', 'go_memstats_heap_inuse_bytes'] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];

export type Readings = Partial<Record<MemoryMetric, number>>;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function scrapeMemory(target: KubeTarget): Promise<Readings> {
  const res = await target.get('/metrics', 'text/plain;version=0.0.4');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: the kubeconfig's user needs get on the nonResourceURL /metrics`);
  const out: Readings = {};
  for (const s of parseMetricsText(res.text).samples) if ((MEMORY_METRICS as readonly string[]).includes(s.name)) out[s.name as MemoryMetric] = s.value;
  return out;
}

export interface SettleOptions {
  metric: MemoryMetric;
  intervalMs: number;
  /** The longest wait for the memory to stop falling (and the wait when no collection can be forced). */
  settleMs: number;
}

export interface Settled {
  /** The settled reading of the metric. */
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
  let last = (await scrapeMemory(target))[o.metric] ?? 0;
  if (!collected) {
    await sleep(o.settleMs);
    return { baseline: (await scrapeMemory(target))[o.metric] ?? last, collected };
  }
  while (Date.now() < deadline) {
    await sleep(o.intervalMs);
    const now = (await scrapeMemory(target))[o.metric] ?? last;
    // Falling by less than 1 % (or rising: something else allocates) between two readings: settled.
    if (now >= last * 0.99) return { baseline: Math.min(now, last), collected };
    last = now;
  }
  return { baseline: last, collected };
}
