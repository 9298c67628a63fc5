/**
 * The calibration: how much memory the apiserver holds per byte of a LIST response, by where the LIST is
 * read from. For each mode — from etcd, from the watch cache (resourceVersion=0), a consistent read (to
 * see where this server serves it), and one page of a paginated list — and each concurrency N (1, 2, 4 …):
 * wait for the server to settle, take its baseline from /metrics, start N identical LISTs and hold them
 * (response built, body unread), sample /metrics while they are held, then read them out. The factor is
 * the least-squares slope through the origin of memory growth against N × response bytes.
 * Memory is `simulator_inflight_response_bytes` on the simulator (its memory is modeled), else
 * `go_memstats_heap_inuse_bytes`, else `process_resident_memory_bytes` (noisy: Go's GC; use the slope).
 */
import { countFromProbe } from '../estimate/census-probe.js';
import { parseMetricsText } from '../estimate/prometheus-text.js';
import { resolveFactors } from '../estimate/resolve-factors.js';
import type { ServerProfile } from '../estimate/factors.js';
import type { KubeTarget } from './calibrate-client.js';

export const MEMORY_METRICS = ['simulator_inflight_response_bytes', 'go_memstats_heap_inuse_bytes', 'process_resident_memory_bytes'] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];
export type Mode = 'etcd' | 'consistent' | 'cache' | 'paginated';

export interface CalibrationOptions {
  group: string;
  resource: string;
  namespace?: string;
  /** /metrics samples per baseline and per held step. */
  samples: number;
  maxConcurrency: number;
  /** No step may expect more than this many bytes held (N × response × 5). */
  budgetBytes: number;
  settleMs: number;
  intervalMs: number;
  log(line: string): void;
}

export interface CalibrationStep {
  mode: Mode;
  path: string;
  concurrency: number;
  /** Wire bytes of one response (the mean of the N). */
  responseBytes: number;
  /** Peak minus baseline, per memory metric found. */
  growth: Partial<Record<MemoryMetric, number>>;
  /** growth of the chosen metric ÷ (N × responseBytes). */
  factor: number;
}

export interface CalibrationResult {
  server: string;
  version: string | undefined;
  profile: ServerProfile;
  metric: MemoryMetric;
  items: number;
  listBytes: number;
  steps: CalibrationStep[];
  /** Fitted per mode; `paginated` is per byte of the page held. */
  factors: Partial<Record<Mode, number>>;
  /** Where this server serves a consistent LIST, when measured (1.31+ servers). */
  consistentListFromCache: boolean | undefined;
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A response that fits in the socket buffers between server and client (a few MiB each way on Linux,
 * ~10 MiB on loopback) is written out before it can be held, so what the server held for it is gone
 * before it is sampled: such steps read low.
 */
export const HOLDABLE_BYTES = 16 * 1024 * 1024;

function listPath(o: CalibrationOptions, version: string): string {
  const base = o.group === '' ? `/api/${version}` : `/apis/${o.group}/${version}`;
  return `${base}${o.namespace ? `/namespaces/${o.namespace}` : ''}/${o.resource}`;
}

async function scrape(target: KubeTarget): Promise<Partial<Record<MemoryMetric, number>>> {
  const res = await target.get('/metrics', 'text/plain;version=0.0.4');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: the kubeconfig's user needs get on the nonResourceURL /metrics`);
  const out: Partial<Record<MemoryMetric, number>> = {};
  for (const s of parseMetricsText(res.text).samples) if ((MEMORY_METRICS as readonly string[]).includes(s.name)) out[s.name as MemoryMetric] = s.value;
  return out;
}

/** `samples` scrapes `intervalMs` apart, reduced per metric with `pick`. */
async function sampleMemory(target: KubeTarget, o: CalibrationOptions, pick: (a: number, b: number) => number) {
  const out: Partial<Record<MemoryMetric, number>> = {};
  for (let i = 0; i < o.samples; i++) {
    if (i > 0) await sleep(o.intervalMs);
    for (const [k, v] of Object.entries(await scrape(target)) as [MemoryMetric, number][]) out[k] = out[k] === undefined ? v : pick(out[k], v);
  }
  return out;
}

async function measureStep(target: KubeTarget, o: CalibrationOptions, mode: Mode, path: string, n: number, metric: MemoryMetric): Promise<CalibrationStep> {
  await sleep(o.settleMs);
  const baseline = await sampleMemory(target, o, Math.min);
  const held = await Promise.all(Array.from({ length: n }, () => target.hold(path)));
  let peak: Partial<Record<MemoryMetric, number>> = {};
  try {
    const bad = held.find((h) => h.status !== 200);
    if (bad) throw new Error(`GET ${path} answered ${bad.status}`);
    peak = await sampleMemory(target, o, Math.max);
  } catch (err) {
    for (const h of held) h.abort();
    throw err;
  }
  const bytes = await Promise.all(held.map((h) => h.drain()));
  const responseBytes = bytes.reduce((a, b) => a + b, 0) / n;
  const growth: Partial<Record<MemoryMetric, number>> = {};
  for (const k of Object.keys(peak) as MemoryMetric[]) if (baseline[k] !== undefined) growth[k] = peak[k]! - baseline[k];
  const factor = (growth[metric] ?? 0) / (n * responseBytes);
  o.log(`${mode} N=${n}: ${Math.round(responseBytes)} B per response, ${metric} +${Math.round(growth[metric] ?? 0)} B → ${factor.toFixed(2)}×`);
  return { mode, path, concurrency: n, responseBytes, growth, factor };
}

/** Least-squares slope through the origin of growth against N × bytes. */
export function fitFactor(steps: readonly CalibrationStep[], metric: MemoryMetric): number | undefined {
  let xy = 0;
  let xx = 0;
  for (const s of steps) {
    const x = s.concurrency * s.responseBytes;
    xy += x * (s.growth[metric] ?? 0);
    xx += x * x;
  }
  return xx > 0 ? Math.round((xy / xx) * 100) / 100 : undefined;
}

export async function runCalibration(target: KubeTarget, o: CalibrationOptions): Promise<CalibrationResult> {
  const notes: string[] = [];
  const versionAnswer = await target.get('/version');
  const version = versionAnswer.status === 200 ? ((JSON.parse(versionAnswer.text) as { gitVersion?: string }).gitVersion ?? undefined) : undefined;
  const profile = resolveFactors({}, version).profile;
  const first = await scrape(target);
  const metric = MEMORY_METRICS.find((m) => first[m] !== undefined);
  if (!metric) throw new Error(`the upstream's /metrics has none of ${MEMORY_METRICS.join(', ')}`);

  let apiVersion = 'v1';
  if (o.group !== '') {
    const group = await target.get(`/apis/${o.group}`);
    if (group.status !== 200) throw new Error(`GET /apis/${o.group} answered ${group.status}`);
    apiVersion = (JSON.parse(group.text) as { preferredVersion?: { version?: string } }).preferredVersion?.version ?? 'v1';
  }
  const path = listPath(o, apiVersion);
  // Count with a limit=1 probe (and learn the revision), size with one full read from the watch cache,
  // streamed: a 400 MB list is never held in this process.
  const probe = await target.get(`${path}?limit=1`);
  if (probe.status !== 200) throw new Error(`GET ${path}?limit=1 answered ${probe.status}: ${probe.text.slice(0, 200)}`);
  const probed = JSON.parse(probe.text) as unknown;
  const items = countFromProbe(probed) ?? 0;
  const revision = (probed as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '';
  if (items === 0) throw new Error(`${path} is empty: calibrate needs objects to list`);
  const sizing = await target.hold(`${path}?resourceVersion=0`);
  if (sizing.status !== 200) throw new Error(`GET ${path}?resourceVersion=0 answered ${sizing.status}`);
  const listBytes = await sizing.drain();
  o.log(`${path}: ${items} objects, ${listBytes} B as JSON; memory from ${metric}`);

  const modes: Array<[Mode, string]> = [];
  if (!profile.consistentListFromCache) modes.push(['etcd', path]);
  // 1.31–1.33 serve a consistent LIST from the cache: an Exact read of the current revision goes to etcd.
  else if (!profile.paginatedListFromCache) modes.push(['etcd', `${path}?resourceVersion=${revision}&resourceVersionMatch=Exact`], ['consistent', path]);
  else notes.push(`${version ?? 'this version'} serves every LIST from the watch cache (KEP-4988): nothing to measure from etcd`);
  modes.push(['cache', `${path}?resourceVersion=0`]);
  const pageSize = Math.max(1, Math.ceil(items / 8));
  modes.push(['paginated', `${path}?limit=${pageSize}`]);

  const steps: CalibrationStep[] = [];
  for (const [mode, modePath] of modes) {
    const bytes = mode === 'paginated' ? listBytes / 8 : listBytes;
    for (let n = 1; n <= o.maxConcurrency; n *= 2) {
      if (n * bytes * 5 > o.budgetBytes) {
        notes.push(`${mode} N=${n} skipped: ${n} × ${bytes} B × 5 would pass the budget of ${o.budgetBytes} B`);
        break;
      }
      steps.push(await measureStep(target, o, mode, modePath, n, metric));
    }
  }
  const factors: Partial<Record<Mode, number>> = {};
  for (const [mode] of modes) {
    const fitted = fitFactor(steps.filter((s) => s.mode === mode), metric);
    if (fitted !== undefined) factors[mode] = fitted;
  }
  for (const [mode] of modes) {
    const small = steps.find((s) => s.mode === mode && s.responseBytes < HOLDABLE_BYTES);
    if (small) notes.push(`${mode}: a ${Math.round(small.responseBytes)} B response fits in the socket buffers and finishes writing before it can be held: its factor reads low; calibrate with a larger collection (≥ ${HOLDABLE_BYTES / 1024 / 1024} MiB per response)`);
  }
  const { etcd, cache, consistent } = factors;
  const consistentListFromCache =
    consistent !== undefined && etcd !== undefined && cache !== undefined ? Math.abs(consistent - cache) < Math.abs(consistent - etcd) : undefined;
  return { server: target.server, version, profile, metric, items, listBytes, steps, factors, consistentListFromCache, notes };
}
