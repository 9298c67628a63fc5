/**
 * The real-apiserver storm benchmark's report (bench/storm-kube.ts): every figure measured, the ratios
 * against the limit and the best the budget allows, the issue's goals (met or missed, never asserted)
 * and the lines printed under the benchmark's name.
 */
import { cpus } from 'node:os';
import { relative } from 'node:path';
import { goal, type BenchReport, type Goal } from './benchmark.js';
import type { ErrorSummary, FactorComparison } from './estimate-error.js';
import type { CalibrateRun } from './kube-calibrate.js';
import type { ConcurrentLists } from './kube-concurrent-lists.js';
import type { ListModesResult } from './kube-list-modes.js';
import { round } from './latency.js';
import { phaseFigures, type StormPhase } from './storm-kube-phase.js';

/** calibrate's modes and the bench's that measure the same serving path. */
export const CALIBRATE_PAIRS: Readonly<Record<string, string>> = { cache: 'json-rv0', consistent: 'json-consistent', etcd: 'json-etcd-exact', paginated: 'json-pages' };

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const pct = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : '–');
const x = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? `${round(v, 2)}×` : '–');

export interface StormKubeInputs {
  size: { limitBytes: number; secrets: number; dataBytes: number; kubectl: number; informers: number; namespaces: number; seedSeconds: number; pageLimit: number; repeats: number };
  upstream: { kubeApiserver: string; etcd: string };
  admission: { budget: number; adaptive: { ceiling: number; minimum: number; interval: string } };
  runs: { direct: StormPhase; cold: StormPhase; warm: StormPhase };
  listed: ListModesResult;
  /** The error on the first pass over the modes (the gateway's first sight of all but the storm's two), and after. */
  errorCold: ErrorSummary;
  errorWarm: ErrorSummary;
  /** The same against the raw rise (peak − settled usage, the Go heap's free slack not counted). */
  errorWarmVsRise: ErrorSummary;
  measured: Record<string, { factor: number; samples: number }>;
  best: { levelsFractionOfBudget: number; perListHeldBytes: number; k: number; waves: number; tkSeconds: number; bestSeconds: number; informersOnlySeconds: number; tries: ConcurrentLists[] };
  calibrate: CalibrateRun;
  comparison: FactorComparison[];
  chartPath: string;
}

function medianHeld(listed: ListModesResult, mode: string): number | undefined {
  const held = listed.samples.filter((s) => s.mode === mode).map((s) => s.heldBytes).sort((a, b) => a - b);
  return held.length > 0 ? held[Math.floor((held.length - 1) / 2)] : undefined;
}

function runLine(name: string, p: StormPhase, best: number): string {
  const r = p.run;
  const kills = `${r.oomKills} OOM kill${r.oomKills === 1 ? '' : 's'}`;
  const collections = p.gatewayCollections ? `, ${p.gatewayCollections} garbage collections asked of the apiserver` : '';
  const rejections = p.gatewayRejections !== undefined ? `${p.gatewayRejections} × 429 from listgate (informers saw ${p.informerTooManyRequests})${collections}` : `${p.informerTooManyRequests} × 429 seen by the informers`;
  const synced = p.informersSyncedSeconds !== undefined ? `all informers synced after ${round(p.informersSyncedSeconds, 1)} s (${x(p.informersSyncedSeconds / best)} the best)` : `informers ${p.informersSynced}/${r.informers.length} synced`;
  const all = r.allCompletedSeconds !== undefined ? `, all ${r.clients} clients after ${round(r.allCompletedSeconds, 1)} s (${x(r.allCompletedSeconds / best)})` : '';
  const rss = p.gatewayRss ? `; gateway RSS ${round(p.gatewayRss.startRssBytes / MIB, 0)} → peak ${round(p.gatewayRss.peakRssBytes / MIB, 0)} MiB` : '';
  return (
    `${name}: ${kills}, peak ${round(r.peakBytes / GIB, 2)} GiB (${round(r.peakBytes / r.limitBytes, 2)}× the limit), kubectl ${p.kubectlCompleted}/${r.kubectl.length}, ` +
    `informers ${p.informersSynced}/${r.informers.length}, ${rejections}; ${synced}${all}; ${round(r.seconds, 0)} s${p.restarted ? ', apiserver started again after it' : ''}${rss}`
  );
}

/** Why a kubectl did not complete, in a few words, from its exit and the last line it printed. */
export function kubectlFailure(k: { code: number | null; bytes: number; seconds: number; stderr: string }): string {
  if (k.code === null) return 'still running when the run ended';
  const last = (k.stderr.split('\n').pop() ?? '').trim();
  if (/unexpected EOF/.test(last)) return 'the response was cut (unexpected EOF) after part of it';
  if (/TooManyRequests/.test(last)) return 'gave up after its retries on 429 (Too Many Requests)';
  if (/Timeout/.test(last)) return "the apiserver's request timeout (Timeout)";
  return last.replace(/\s+/g, ' ').slice(0, 120) || `exit ${k.code}`;
}

function kubectlFailures(name: string, p: StormPhase): string[] {
  const failed = p.run.kubectl.filter((k) => k.code !== 0 || k.bytes === 0);
  if (failed.length === 0) return [];
  const counts = new Map<string, Array<{ id: number; seconds: number; bytes: number }>>();
  for (const k of failed) counts.set(kubectlFailure(k), [...(counts.get(kubectlFailure(k)) ?? []), k]);
  const at = (ks: ReadonlyArray<{ id: number; seconds: number; bytes: number }>): string =>
    ks.every((k) => k.bytes === 0 && Math.round(k.seconds) === Math.round(ks[0]!.seconds))
      ? `all at ${round(ks[0]!.seconds, 0)} s`
      : ks.map((k) => `#${k.id} at ${round(k.seconds, 0)} s${k.bytes > 0 ? `, ${round(k.bytes / MIB, 0)} MiB in` : ''}`).join('; ');
  const parts = [...counts].map(([why, ks]) => `${ks.length} × ${why} (${at(ks)})`);
  return [`${name}: ${failed.length} of ${p.run.kubectl.length} kubectl did not complete: ${parts.join('; ')}`];
}

export function buildStormKubeReport(i: StormKubeInputs): BenchReport {
  const { direct, cold, warm } = i.runs;
  const best = i.best.bestSeconds;
  const firstVsHeld = (p: StormPhase, who: 'kubectl' | 'informer', mode: string): number | undefined => {
    const e = p.firstEstimates?.[who]?.estimatedBytes;
    const held = medianHeld(i.listed, mode);
    return e !== undefined && held ? e / held : undefined;
  };
  const coldFirst = { kubectl: firstVsHeld(cold, 'kubectl', 'json-consistent'), informer: firstVsHeld(cold, 'informer', 'json-rv0') };
  const warmFirst = { kubectl: firstVsHeld(warm, 'kubectl', 'json-consistent'), informer: firstVsHeld(warm, 'informer', 'json-rv0') };
  const coldFirstMin = Math.min(coldFirst.kubectl ?? Number.NaN, coldFirst.informer ?? Number.NaN);
  const ratios: Record<string, number> = {
    directPeakVsLimit: round(direct.run.peakBytes / direct.run.limitBytes),
    coldPeakVsLimit: round(cold.run.peakBytes / cold.run.limitBytes),
    warmPeakVsLimit: round(warm.run.peakBytes / warm.run.limitBytes),
    coldInformersSyncVsBest: round((cold.informersSyncedSeconds ?? Number.NaN) / best),
    warmInformersSyncVsBest: round((warm.informersSyncedSeconds ?? Number.NaN) / best),
    coldAllCompletedVsBest: round((cold.run.allCompletedSeconds ?? Number.NaN) / best),
    warmAllCompletedVsBest: round((warm.run.allCompletedSeconds ?? Number.NaN) / best),
    estimateErrorP50Warm: round(i.errorWarm.p50),
    estimateErrorP90Warm: round(i.errorWarm.p90),
    estimateErrorP90WarmVsRise: round(i.errorWarmVsRise.p90),
    coldFirstEstimateVsHeldKubectl: round(coldFirst.kubectl ?? Number.NaN),
    coldFirstEstimateVsHeldInformer: round(coldFirst.informer ?? Number.NaN),
    ...Object.fromEntries(i.comparison.map((c) => [`calibrateVsBench_${c.calibrateMode}`, round(c.ratio ?? Number.NaN)])),
  };
  const goals: Goal[] = [];
  for (const [name, p] of [['cold', cold], ['warm', warm]] as const) {
    goals.push(goal(`${name}: OOM kills through listgate`, '0', p.run.oomKills, p.run.oomKills === 0, 0));
    goals.push(goal(`${name}: peak cgroup memory ÷ limit`, '< 1', p.run.peakBytes / p.run.limitBytes, p.run.peakBytes < p.run.limitBytes));
    goals.push(goal(`${name}: informers synced`, `${p.run.informers.length}/${p.run.informers.length}`, p.informersSynced, p.informersSynced === p.run.informers.length, 0));
    const v = (p.informersSyncedSeconds ?? Number.NaN) / best;
    goals.push(goal(`${name}: time until every informer synced ÷ best the budget allows`, '≤ 1.5×', v, v <= 1.5));
    const allName = `${name}: time until all ${p.run.clients} clients completed ÷ best the budget allows`;
    if (p.run.allCompletedSeconds === undefined) goals.push({ name: allName, target: '≤ 1.5×', value: `${p.run.completed}/${p.run.clients} completed`, met: false });
    else goals.push(goal(allName, '≤ 1.5×', p.run.allCompletedSeconds / best, p.run.allCompletedSeconds / best <= 1.5));
  }
  goals.push(goal('estimate error |estimate ÷ held − 1| after warm-up, p90', '≤ 0.25', i.errorWarm.p90, i.errorWarm.p90 <= 0.25));
  goals.push(goal("the cold gateway's first estimate ÷ held (the lower of kubectl's and the informers')", '≥ 0.8', coldFirstMin, coldFirstMin >= 0.8));
  for (const c of i.comparison.filter((c) => c.calibrate !== undefined || c.bench !== undefined)) {
    const name = `listgate calibrate's ${c.calibrateMode} factor ÷ the bench's ${c.benchMode}`;
    if (c.ratio === undefined) goals.push({ name, target: '0.8–1.2', value: c.calibrate === undefined ? 'calibrate did not measure it' : 'not measured here', met: false });
    else goals.push(goal(name, '0.8–1.2', c.ratio, Math.abs(c.ratio - 1) <= 0.2));
  }

  const list = i.listed.samples.find((s) => s.mode === 'json-consistent');
  const absorbed = i.listed.samples.filter((s) => s.riseBytes < 0.1 * s.heldBytes);
  const factorLine = Object.entries(i.measured).map(([m, f]) => `${m} ${x(f.factor)}`).join(', ');
  const cal = i.calibrate.result;
  const summary = [
    `${i.upstream.kubeApiserver}, etcd ${i.upstream.etcd}, ${cpus().length} cores; the apiserver alone in a memory cgroup of ${round(i.size.limitBytes / GIB, 2)} GiB; ` +
      `${i.size.secrets} Secrets of ${i.size.dataBytes / 1000} kB${list ? ` (a ${round(list.responseBytes / MIB, 0)} MiB JSON LIST)` : ''}; ${i.size.kubectl} kubectl + ${i.size.informers} informers; ` +
      `listgate budget ${round(i.admission.budget / GIB, 2)} GiB, adaptive ceiling ${round(i.admission.adaptive.ceiling / GIB, 2)} GiB`,
    runLine('direct', direct, best),
    runLine('listgate cold', cold, best),
    runLine('listgate warm', warm, best),
    ...kubectlFailures('direct', direct),
    ...kubectlFailures('cold', cold),
    ...kubectlFailures('warm', warm),
    `best the budget allows: ${i.best.k} LISTs at a time (${round(i.best.levelsFractionOfBudget, 2)} of the budget ÷ ${round(i.best.perListHeldBytes / GIB, 2)} GiB held per LIST), ` +
      `t_${i.best.k} = ${round(i.best.tkSeconds, 1)} s direct → ${i.best.waves} waves = ${round(best, 0)} s (the informers alone: ${round(i.best.informersOnlySeconds, 0)} s)` +
      `${i.best.tries.some((t) => t.failed > 0) ? `; ${i.best.tries.filter((t) => t.failed > 0).length} of ${i.best.tries.length} tries had LISTs fail (the apiserver's 60 s request timeout): the fastest whole try counts` : ''}`,
    `estimate ÷ held (peak over the memory in use), single LISTs after warm-up (${i.errorWarm.samples}): error p50 ${pct(i.errorWarm.p50)}, p90 ${pct(i.errorWarm.p90)} ` +
      `(ratios ${round(i.errorWarm.ratioMin, 2)}–${round(i.errorWarm.ratioMax, 2)}); ` +
      `first pass of each mode (${i.errorCold.samples}): p50 ${pct(i.errorCold.p50)}, p90 ${pct(i.errorCold.p90)}` +
      `${i.errorWarm.tooSmall + i.errorCold.tooSmall > 0 ? `; ${i.errorWarm.tooSmall + i.errorCold.tooSmall} responses under 16 MiB left out` : ''}`,
    `the raw cgroup rise (peak − settled usage) was under a tenth of what the LIST held for ${absorbed.length} of ${i.listed.samples.length} single LISTs: ` +
      "the heap earlier requests freed (and Go kept) absorbed them, so it says little about the LIST itself",
    `the storm's first price: cold kubectl ${x(coldFirst.kubectl)}, cold informers ${x(coldFirst.informer)}, warm kubectl ${x(warmFirst.kubectl)}, warm informers ${x(warmFirst.informer)} what one such LIST held`,
    `factors measured (held ÷ response bytes, median): ${factorLine}`,
    cal
      ? `listgate calibrate (${round(i.calibrate.seconds, 0)} s, ${cal.metric}): ${i.comparison.map((c) => `${c.calibrateMode} ${x(c.calibrate)} vs ${x(c.bench)} (${x(c.ratio)})`).join(', ')}` +
        `${Object.keys(cal.unmeasured).length > 0 ? `; not measured: ${Object.entries(cal.unmeasured).map(([m, why]) => `${m} (${why})`).join(', ')}` : ''}`
      : `listgate calibrate printed no result (exit ${i.calibrate.exitCode}): ${i.calibrate.stderrTail.split('\n').pop() ?? ''}`,
    ...(i.listed.failures.length > 0 ? [`not measured: ${i.listed.failures.map((f) => `${f.mode} pass ${f.pass}: ${f.error.slice(0, 120)}`).join('; ')}`] : []),
    `chart: ${relative(process.cwd(), i.chartPath)}`,
  ];
  return {
    figures: {
      upstream: i.upstream,
      size: i.size,
      admission: i.admission,
      direct: phaseFigures(direct),
      cold: phaseFigures(cold),
      warm: phaseFigures(warm),
      best: i.best,
      estimate: { errorWarm: i.errorWarm, errorWarmVsRise: i.errorWarmVsRise, errorFirstSight: i.errorCold, stormFirst: { cold: coldFirst, warm: warmFirst }, samples: i.listed.samples, failures: i.listed.failures },
      factors: i.measured,
      calibrate: i.calibrate,
      comparison: i.comparison,
    },
    ratios,
    goals,
    summary,
    artifacts: [i.chartPath],
  };
}
