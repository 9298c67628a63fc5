/**
 * The calibration: how much memory the apiserver holds per byte of a LIST response, by where the LIST is
 * read from — a continued page of a paginated list, the watch cache (resourceVersion=0), a consistent read
 * (to see where this server serves it), etcd (an Exact read of the current revision) — cheapest first.
 * For each mode and concurrency N (1, 2, 4 …), `rounds` times: settle the server's memory
 * (calibrate-memory.ts: the memory in use, from a forced collection), start N identical LISTs while
 * sampling /metrics, hold them (response built, body unread), then read them out. The step's growth is
 * the mean over its rounds of the peak over that round's settled baseline: what one LIST holds on a
 * settled server, the same measure as the bench's (bench/lib/kube-list-rise.ts); the garbage a LIST
 * leaves behind is the admission's hold-over and adaptive budget to account for. The mode's factor is
 * the least-squares slope through the origin of growth against N × response bytes. A mode whose
 * steps disagree by more than `maxSpread` is measured again (`repeats` times at most).
 * It never starts a step it expects to hold more than `budgetBytes` above the baseline (N × response ×
 * the dearest factor known for the mode), and aborts a step whose growth passes it. A mode it could not
 * measure gets no factor, and a note says why: it never reports a factor of zero or below.
 */
import { countFromProbe } from '../estimate/census-probe.js';
import type { ServerProfile } from '../estimate/factors.js';
import { resolveFactors } from '../estimate/resolve-factors.js';
import type { HeldList, KubeTarget } from './calibrate-client.js';
import { MEMORY_METRIC_WORDS, MEMORY_METRICS, sampleMemory, scrapeMemory, settle, sleep, type MemoryMetric } from './calibrate-memory.js';

export { MEMORY_METRICS, type MemoryMetric } from './calibrate-memory.js';
export type Mode = 'etcd' | 'consistent' | 'cache' | 'paginated';

export interface CalibrationOptions {
  group: string;
  resource: string;
  namespace?: string;
  /** /metrics samples while a round's LISTs are held. */
  samples: number;
  maxConcurrency: number;
  /** No step may be expected to hold more than this above the settled baseline. */
  budgetBytes: number;
  /** The longest wait for the memory to settle before a step. */
  settleMs: number;
  intervalMs: number;
  /** Rounds of N held LISTs back to back per step (the garbage of one is there when the next starts). */
  rounds?: number;
  /** (largest − smallest) ÷ fitted factor above which a mode is measured again. */
  maxSpread?: number;
  repeats?: number;
  log(line: string): void;
}

export interface CalibrationStep {
  mode: Mode;
  path: string;
  concurrency: number;
  /** Wire bytes of one response (the mean of the N). */
  responseBytes: number;
  baseline: number;
  peak: number;
  /** peak − baseline. */
  growth: number;
  /** growth ÷ (N × responseBytes). */
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
  /** Fitted per mode, only where measured (always above 0); `paginated` is per byte of the page held. */
  factors: Partial<Record<Mode, number>>;
  /** Per measured mode: (largest − smallest step factor) ÷ the fitted one. */
  spread: Partial<Record<Mode, number>>;
  /** Modes with no factor, and why. */
  unmeasured: Partial<Record<Mode, string>>;
  /** Where this server serves a consistent LIST, when measured (1.31+ servers). */
  consistentListFromCache: boolean | undefined;
  notes: string[];
}

/**
 * A response that fits in the socket buffers between server and client (a few MiB each way on Linux,
 * ~10 MiB on loopback) is written out before it can be held, so what the server held for it is gone
 * before it is sampled: such steps read low.
 */
export const HOLDABLE_BYTES = 16 * 1024 * 1024;

/** The dearest factor known per mode (kube-apiserver 1.32, CALIBRATION.md's upper ends): the budget guard's guess. */
const DEAREST: Record<Mode, number> = { etcd: 6.2, consistent: 6.2, cache: 2.6, paginated: 6.2 };

function listPath(o: CalibrationOptions, version: string): string {
  const base = o.group === '' ? `/api/${version}` : `/apis/${o.group}/${version}`;
  return `${base}${o.namespace ? `/namespaces/${o.namespace}` : ''}/${o.resource}`;
}

/** Least-squares slope through the origin of growth against N × bytes; undefined unless above 0. */
export function fitFactor(steps: readonly CalibrationStep[]): number | undefined {
  let xy = 0;
  let xx = 0;
  for (const s of steps) {
    const x = s.concurrency * s.responseBytes;
    xy += x * s.growth;
    xx += x * x;
  }
  const slope = xx > 0 ? Math.round((xy / xx) * 100) / 100 : undefined;
  return slope !== undefined && slope > 0 ? slope : undefined;
}

type StepOutcome = { step: CalibrationStep } | { skipped: string };

/** A mode's request target; a function makes a fresh one per round (a continue token). */
type ModePath = string | (() => Promise<string>);

/** /metrics samples while a LIST is built: its peak comes before its first byte is sent. */
const BUILD_SAMPLE_MS = 250;

async function holdAll(target: KubeTarget, path: string, n: number): Promise<HeldList[]> {
  const held = await Promise.allSettled(Array.from({ length: n }, () => target.hold(path)));
  const failed = held.find((h): h is PromiseRejectedResult => h.status === 'rejected');
  if (!failed) return held.map((h) => (h as PromiseFulfilledResult<HeldList>).value);
  for (const h of held) if (h.status === 'fulfilled') h.value.abort();
  throw failed.reason;
}

/**
 * One step: `rounds` times, settle the memory, start N identical LISTs while sampling /metrics, hold
 * them (response built, body unread) for `samples` intervals, then read them out. Growth: the mean over
 * the rounds of the peak above that round's settled baseline.
 */
async function measureStep(target: KubeTarget, o: CalibrationOptions, metric: MemoryMetric, mode: Mode, modePath: ModePath, n: number): Promise<StepOutcome> {
  const rounds = o.rounds ?? 2;
  let bytes = 0;
  let baselines = 0;
  let peaks = 0;
  let collected = true;
  let path = '';
  for (let round = 0; round < rounds; round++) {
    path = typeof modePath === 'string' ? modePath : await modePath();
    const settled = await settle(target, { metric, intervalMs: o.intervalMs, settleMs: o.settleMs });
    collected &&= settled.collected;
    const sampler = sampleMemory(target, Math.min(o.intervalMs, BUILD_SAMPLE_MS), settled.readings);
    // Past the budget by the measure or by the resident memory, whichever grew more.
    const overBudget = (): number | undefined => {
      const grown = Math.max(
        (sampler.peak[metric] ?? settled.baseline) - settled.baseline,
        (sampler.peak.process_resident_memory_bytes ?? 0) - (settled.readings.process_resident_memory_bytes ?? 0),
      );
      return grown > o.budgetBytes ? grown : undefined;
    };
    let held: HeldList[];
    try {
      held = await holdAll(target, path, n);
    } catch (err) {
      await sampler.stop();
      return { skipped: `GET ${path}: ${err instanceof Error ? err.message : String(err)}` };
    }
    const drop = async () => {
      held.forEach((h) => h.abort());
      await sampler.stop();
    };
    const bad = held.find((h) => h.status !== 200);
    if (bad) {
      await drop();
      return { skipped: `GET ${path} answered ${bad.status}` };
    }
    for (let i = 0; i < o.samples; i++) {
      await sleep(o.intervalMs);
      const grown = overBudget();
      if (grown !== undefined) {
        await drop();
        return { skipped: `N=${n} grew the server's memory by ${Math.round(grown)} B, past the budget of ${o.budgetBytes} B: stopped` };
      }
    }
    bytes += (await Promise.all(held.map((h) => h.drain()))).reduce((a, b) => a + b, 0);
    const peak = await sampler.stop();
    baselines += settled.baseline;
    peaks += peak[metric] ?? settled.baseline;
  }
  const responseBytes = bytes / n / rounds;
  const baseline = baselines / rounds;
  const peak = peaks / rounds;
  const growth = peak - baseline;
  const factor = growth / (n * responseBytes);
  o.log(`${mode} N=${n}: ${Math.round(responseBytes)} B per response, ${metric} ${Math.round(baseline)} → ${Math.round(peak)} B${collected ? '' : ' (no forced collection)'} → ${factor.toFixed(2)}×`);
  return { step: { mode, path, concurrency: n, responseBytes, baseline, peak, growth, factor } };
}

export async function runCalibration(target: KubeTarget, o: CalibrationOptions): Promise<CalibrationResult> {
  const notes: string[] = [];
  const versionAnswer = await target.get('/version');
  const version = versionAnswer.status === 200 ? ((JSON.parse(versionAnswer.text) as { gitVersion?: string }).gitVersion ?? undefined) : undefined;
  const profile = resolveFactors({}, version).profile;
  const first = await scrapeMemory(target);
  const metric = MEMORY_METRICS.find((m) => first[m] !== undefined);
  if (!metric) throw new Error(`the upstream's /metrics has none of ${MEMORY_METRICS.join(', ')}`);

  let apiVersion = 'v1';
  if (o.group !== '') {
    const group = await target.get(`/apis/${o.group}`);
    if (group.status !== 200) throw new Error(`GET /apis/${o.group} answered ${group.status}`);
    apiVersion = (JSON.parse(group.text) as { preferredVersion?: { version?: string } }).preferredVersion?.version ?? 'v1';
  }
  const path = listPath(o, apiVersion);
  // Count with a limit=1 probe, size with one full read from the watch cache,
  // streamed: a 400 MB list is never held in this process.
  const probe = await target.get(`${path}?limit=1`);
  if (probe.status !== 200) throw new Error(`GET ${path}?limit=1 answered ${probe.status}: ${probe.text.slice(0, 200)}`);
  const probed = JSON.parse(probe.text) as unknown;
  const items = countFromProbe(probed) ?? 0;
  if (items === 0) throw new Error(`${path} is empty: calibrate needs objects to list`);
  const sizing = await target.hold(`${path}?resourceVersion=0`);
  if (sizing.status !== 200) throw new Error(`GET ${path}?resourceVersion=0 answered ${sizing.status}`);
  const listBytes = await sizing.drain();
  o.log(`${path}: ${items} objects, ${listBytes} B as JSON; memory from ${MEMORY_METRIC_WORDS[metric]}`);

  // A paginated list costs what its continued pages cost (the first may come from the watch cache): each
  // round continues a fresh first page. An Exact read is of the revision current when the round starts
  // (an older one may have been compacted).
  const pageSize = Math.max(1, Math.ceil(items / 8));
  const firstPage = `${path}?limit=${pageSize}`;
  const continuedPage = async (): Promise<string> => {
    const head = await target.head(firstPage, 8192);
    const token = /"continue":"([^"]+)"/.exec(head.text)?.[1];
    return token ? `${firstPage}&continue=${encodeURIComponent(token)}` : firstPage;
  };
  const exactRead = async (): Promise<string> => {
    const now = await target.get(`${path}?limit=1`);
    const revision = (JSON.parse(now.text) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '';
    return `${path}?resourceVersion=${revision}&resourceVersionMatch=Exact`;
  };
  const modes: Array<[Mode, ModePath]> = [['paginated', continuedPage], ['cache', `${path}?resourceVersion=0`]];
  if (!profile.consistentListFromCache) modes.push(['etcd', path]);
  // 1.31–1.33 may serve a consistent LIST from the cache: an Exact read of the current revision goes to etcd.
  else if (!profile.paginatedListFromCache) modes.push(['consistent', path], ['etcd', exactRead]);
  else notes.push(`${version ?? 'this version'} serves every LIST from the watch cache (KEP-4988): nothing to measure from etcd`);

  const steps: CalibrationStep[] = [];
  const factors: Partial<Record<Mode, number>> = {};
  const spread: Partial<Record<Mode, number>> = {};
  const unmeasured: Partial<Record<Mode, string>> = {};
  const maxSpread = o.maxSpread ?? 0.25;
  for (const [mode, modePath] of modes) {
    const bytes = mode === 'paginated' ? listBytes / 8 : listBytes;
    let kept: CalibrationStep[] = [];
    for (let attempt = 0; attempt <= (o.repeats ?? 2); attempt++) {
      for (let n = 1; n <= o.maxConcurrency; n *= 2) {
        const guess = Math.max(DEAREST[mode], factors[mode] ?? 0, ...kept.map((s) => s.factor));
        if (n * bytes * guess > o.budgetBytes) {
          if (attempt === 0) notes.push(`${mode} N=${n} not started: ${n} × ${Math.round(bytes)} B × ${guess}× could pass the budget of ${o.budgetBytes} B`);
          break;
        }
        const outcome = await measureStep(target, o, metric, mode, modePath, n);
        if ('skipped' in outcome) {
          notes.push(`${mode}: ${outcome.skipped}`);
          break;
        }
        kept.push(outcome.step);
      }
      const fitted = fitFactor(kept);
      if (fitted === undefined) break;
      const per = kept.map((s) => s.factor);
      spread[mode] = Math.round(((Math.max(...per) - Math.min(...per)) / fitted) * 100) / 100;
      factors[mode] = fitted;
      if (spread[mode]! <= maxSpread || kept.length < 2) break;
      o.log(`${mode}: the steps disagree by ${Math.round(spread[mode]! * 100)} % of ${fitted}×: measuring again`);
    }
    steps.push(...kept);
    if (factors[mode] === undefined) {
      unmeasured[mode] = kept.length === 0 ? 'no step could be measured (see the notes)' : 'the memory did not grow measurably above its settled baseline';
      kept = [];
    }
  }
  for (const [mode] of modes) {
    const small = steps.find((s) => s.mode === mode && s.responseBytes < HOLDABLE_BYTES);
    if (small) notes.push(`${mode}: a ${Math.round(small.responseBytes)} B response fits in the socket buffers and finishes writing before it can be held: its factor reads low; calibrate with a larger collection (≥ ${HOLDABLE_BYTES / 1024 / 1024} MiB per response)`);
  }
  const { etcd, cache, consistent } = factors;
  const consistentListFromCache =
    consistent !== undefined && etcd !== undefined && cache !== undefined ? Math.abs(consistent - cache) < Math.abs(consistent - etcd) : undefined;
  return { server: target.server, version, profile, metric, items, listBytes, steps, factors, spread, unmeasured, consistentListFromCache, notes };
}
