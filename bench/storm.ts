/**
 * The storm, after the Kubernetes API-streaming blog's synthetic test scaled to this machine: 400 secrets
 * of 1 MiB (quick: 40 of 256 KiB), 16 informer-style clients (one service account each) relisting at
 * once, the simulator with an OOM limit of 10 GiB of modeled memory (quick: scaled by the data, 256 MiB).
 *
 * 1. direct: the 16 clients against the simulator; expect OOM kills.
 * 2. through listgate: a fresh simulator, the gateway in front with a budget below the OOM limit (the
 *    default 6 GiB; quick: scaled, and the drain model's initial hold time scaled to 500 ms); expect none,
 *    every client synced, in-flight memory under the budget.
 * 3. the best the budget allows: the informers' priority level (workload, under the default flow schemas)
 *    may hold a fraction f of the budget B (its share plus the borrowable pool); k = ⌊f·B ÷ m⌋ LISTs of
 *    modeled memory m fit at once, and k LISTs started together take t_k (measured through the gateway as
 *    an exempt admin, so the relay cost is the same and no admission is involved; and directly). At best
 *    the 16 complete in (16 ÷ k) × t_k: total bytes 16·m ÷ the drain rate k·m ÷ t_k. The goal: every
 *    client synced within 1.3× that.
 * Memory over time of both storms goes to an SVG chart (docs/benchmarks-storm.svg in the full run).
 */
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { modeledListBytes } from '../src/simulator/memory-model.js';
import { admissionAvailable, admissionSections, defaultCeilingFractionFor } from './lib/admission-section.js';
import { opsGet, serviceAccountIdentities, startGatewayProcess, startSimulatorProcess, writeBenchPki, type SimulatorSeed } from './lib/bench-stack.js';
import { goal, type BenchContext, type BenchReport, type Benchmark, type Goal } from './lib/benchmark.js';
import { createClientAgent, fetchOnce, type ClientIdentity, type Target } from './lib/https-client.js';
import { round } from './lib/latency.js';
import { watchProcesses } from './lib/proc-stats.js';
import { withScratch } from './lib/scratch.js';
import { renderStormChart } from './lib/storm-chart.js';
import { runStorm, type StormRunResult } from './lib/storm-run.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const CLIENTS = 16;
const PATH = '/api/v1/secrets';

/** Seconds for `k` LISTs started together to all complete. */
async function timeConcurrentLists(target: Target, id: ClientIdentity, k: number): Promise<number> {
  const agent = createClientAgent(id, { maxSockets: k });
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: k }, () => fetchOnce({ target, path: `${PATH}?resourceVersion=0`, agent, keepBytes: 0 })));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const bad = answers.find((a) => a.status !== 200);
  if (bad) throw new Error(`calibration LIST through ${target.name}: ${bad.status}`);
  return seconds;
}

/** The running gateway's estimate for one informer's LIST (its /debug/estimate), undefined if it cannot say. */
async function gatewayEstimate(opsPort: number): Promise<number | undefined> {
  const path = encodeURIComponent(`${PATH}?resourceVersion=0`);
  const res = await opsGet(opsPort, `/debug/estimate?path=${path}&user=system:serviceaccount:default:informer-0&group=system:serviceaccounts`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  const bytes = (JSON.parse(res.body) as { estimatedBytes?: unknown }).estimatedBytes;
  return typeof bytes === 'number' ? bytes : undefined;
}

function runFigures(r: StormRunResult): Record<string, unknown> {
  const { samples, informers, ...rest } = r;
  return {
    ...rest,
    peakInflightGiB: round(r.peakInflightBytes / GIB),
    samples: samples.map((s) => ({ t: Math.round(s.t), inflightBytes: s.inflightBytes, oomKills: s.oomKills, rssBytes: s.rssBytes, down: s.down })),
    informers,
  };
}

export async function runStormBenchmark(ctx: BenchContext): Promise<BenchReport> {
  const seed: SimulatorSeed = ctx.quick
    ? { secrets: 40, secretSize: 256 * 1024, namespaces: 4, configmaps: 10, pods: 5 }
    : { secrets: 400, secretSize: 1024 * 1024, namespaces: 4, configmaps: 10, pods: 5 };
  // The 10 GiB limit of the calibration machine, scaled with the data in the quick run.
  const oomLimitBytes = Math.round((10 * GIB * (seed.secrets * seed.secretSize)) / (400 * 1024 * 1024));
  // 6 GiB under a 10 GiB limit: the default budget, scaled like the limit in the quick run.
  const budgetBytes = Math.round(0.6 * oomLimitBytes);
  const deadlineMs = ctx.quick ? 6_000 : 150_000;
  const tailMs = ctx.quick ? 300 : 2000;

  return withScratch(ctx, 'storm', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const identities = serviceAccountIdentities(pki, CLIENTS);
    const heapMb = 8192;

    ctx.log(`direct: ${CLIENTS} informers, ${seed.secrets} secrets of ${seed.secretSize / 1024} KiB, OOM limit ${round(oomLimitBytes / GIB, 2)} GiB`);
    // Both simulators present 1.32, as the real apiserver this models: no object size metric, so the cold
    // gateway samples the secrets' sizes before it prices their first LIST.
    const simA = await startSimulatorProcess(group, { dir, pki, seed, oomLimitBytes, heapMb, name: 'simulator-direct' });
    const direct = await runStorm({ label: 'direct', target: simA.target, sim: simA, identities, path: PATH, deadlineMs, tailMs });
    await simA.proc.stop();
    ctx.log(`direct: ${direct.oomKills} OOM kills, ${direct.synced}/${CLIENTS} synced in ${round(direct.seconds, 1)} s`);

    const simB = await startSimulatorProcess(group, { dir, pki, seed, oomLimitBytes, heapMb, name: 'simulator-gateway' });
    const sections = admissionSections(budgetBytes, ctx.quick ? { initialHoldTime: '500ms' } : {});
    const gateway = await startGatewayProcess(group, { dir, pki, upstream: simB, sections });
    ctx.log(`through listgate: budget ${round(budgetBytes / GIB, 2)} GiB${admissionAvailable() ? '' : ' (NOT ENFORCED: no admission in this build)'}`);
    const estimateBefore = await gatewayEstimate(gateway.opsPort);
    const gwMemory = watchProcesses(() => [gateway.proc.pid], 100);
    const through = await runStorm({ label: 'listgate', target: gateway.target, sim: simB, identities, path: PATH, deadlineMs: deadlineMs * 2, tailMs });
    const gwMem = gwMemory.stop();
    const estimateAfter = await gatewayEstimate(gateway.opsPort);
    const gatewayMetrics = (await gateway.metricsText())
      .split('\n')
      .filter((l) => /^listgate_(admission|requests_total|estimat)/.test(l));
    ctx.log(`through listgate: ${through.oomKills} OOM kills, ${through.synced}/${CLIENTS} synced in ${round(through.seconds, 1)} s, ${through.totals.tooManyRequests} × 429`);

    // The best the budget allows, measured on the same simulator and gateway.
    const listBytes = (await fetchOnce({ target: simB.target, path: `${PATH}?resourceVersion=0`, agent: createClientAgent(pki.admin, { maxSockets: 1, keepAlive: false }), keepBytes: 0 })).bytes;
    const perList = modeledListBytes(listBytes, 'cache');
    // The informers are service accounts: the default flow schemas put them in the workload level, which
    // may hold its guaranteed share plus the borrowable pool of the budget.
    const ceiling = defaultCeilingFractionFor('system:serviceaccounts');
    const k = Math.max(1, Math.floor((ceiling.fraction * budgetBytes) / perList));
    // "At best": the fastest of a few tries, alternating the two paths.
    const tries = ctx.quick ? 1 : 2;
    let tkGateway = Infinity;
    let tkDirect = Infinity;
    for (let i = 0; i < tries; i++) {
      tkGateway = Math.min(tkGateway, await timeConcurrentLists(gateway.target, pki.admin, k));
      tkDirect = Math.min(tkDirect, await timeConcurrentLists(simB.target, pki.admin, k));
    }
    const idealGateway = (CLIENTS / k) * tkGateway;
    const idealDirect = (CLIENTS / k) * tkDirect;
    ctx.log(`best case: ${k} LISTs of ${round(perList / MIB, 1)} MiB modeled at once take ${round(tkGateway, 2)} s through listgate (${round(tkDirect, 2)} s direct)`);

    const chart = renderStormChart({
      direct,
      gateway: through,
      oomLimitBytes,
      budgetBytes,
      level: { name: ceiling.level, bytes: ceiling.fraction * budgetBytes },
      title: `${CLIENTS} informers relisting ${seed.secrets} × ${seed.secretSize >= MIB ? `${seed.secretSize / MIB} MiB` : `${seed.secretSize / 1024} KiB`} secrets: apiserver memory with and without listgate`,
    });
    const chartPath = ctx.docsDir ? join(ctx.docsDir, 'benchmarks-storm.svg') : join(ctx.resultsDir, 'storm.svg');
    await writeFile(chartPath, chart);

    const synced = through.allSyncedSeconds;
    const ratios: Record<string, number> = {
      ...(estimateBefore !== undefined ? { gatewayEstimateVsModelBefore: round(estimateBefore / perList) } : {}),
      ...(estimateAfter !== undefined ? { gatewayEstimateVsModelAfter: round(estimateAfter / perList) } : {}),
      peakInflightVsBudget: round(through.peakInflightBytes / budgetBytes),
      peakInflightVsOomLimitDirect: round(direct.peakInflightBytes / oomLimitBytes),
      ...(synced !== undefined ? { syncTimeVsBestThroughGateway: round(synced / idealGateway), syncTimeVsBestDirect: round(synced / idealDirect) } : {}),
      ...(synced !== undefined && direct.allSyncedSeconds !== undefined ? { syncTimeListgateVsDirect: round(synced / direct.allSyncedSeconds) } : {}),
    };
    const goals: Goal[] = [
      goal('OOM kills through listgate', '0', through.oomKills, through.oomKills === 0, 0),
      goal('peak in-flight ÷ budget', '≤ 1', ratios.peakInflightVsBudget!, through.peakInflightBytes <= budgetBytes),
      goal('clients synced through listgate', `${CLIENTS}/${CLIENTS}`, through.synced, through.synced === CLIENTS, 0),
      goal('time to all synced ÷ best the budget allows', '≤ 1.3×', ratios.syncTimeVsBestThroughGateway ?? Number.NaN, (ratios.syncTimeVsBestThroughGateway ?? Infinity) <= 1.3),
    ];
    const summary = [
      `direct: ${direct.oomKills} OOM kills, peak in-flight ${round(direct.peakInflightBytes / GIB, 2)} GiB (${ratios.peakInflightVsOomLimitDirect}× the limit), ` +
        `${direct.synced}/${CLIENTS} synced${direct.allSyncedSeconds !== undefined ? ` after ${round(direct.allSyncedSeconds, 1)} s` : ` within ${deadlineMs / 1000} s`}, ` +
        `${direct.totals.retries} retries, ${direct.totals.backoffs} back-offs, ${direct.totals.connectionErrors} connection errors`,
      `through listgate: ${through.oomKills} OOM kills, peak in-flight ${round(through.peakInflightBytes / GIB, 2)} GiB (${ratios.peakInflightVsBudget}× the budget), ` +
        `${through.synced}/${CLIENTS} synced${synced !== undefined ? ` after ${round(synced, 1)} s` : ''}, ${through.totals.tooManyRequests} × 429, ${through.totals.retries} retries, ${through.totals.backoffs} back-offs`,
      `best the budget allows: ${round(idealGateway, 1)} s through listgate (${k} at a time × ${round(tkGateway, 2)} s), ${round(idealDirect, 1)} s direct → ` +
        `synced in ${ratios.syncTimeVsBestThroughGateway ?? '–'}× (vs direct relay ${ratios.syncTimeVsBestDirect ?? '–'}×)`,
      `the gateway priced one LIST at ${ratios.gatewayEstimateVsModelBefore ?? '–'}× the simulator's model before the storm, ${ratios.gatewayEstimateVsModelAfter ?? '–'}× after it`,
      `gateway RSS: ${round(gwMem.startRssBytes / MIB)} MiB → peak ${round(gwMem.peakRssBytes / MIB)} MiB during the storm; chart: ${relative(process.cwd(), chartPath)}`,
    ];
    if (!admissionAvailable()) summary.push('note: this build has no admission: the gateway relayed the storm unthrottled');
    return {
      figures: {
        seed,
        clients: CLIENTS,
        oomLimitBytes,
        budgetBytes,
        admission: admissionAvailable(),
        listBytes,
        modeledBytesPerList: perList,
        // What the gateway priced one informer's LIST at, before the storm (census and size from the
        // upstream's metrics) and after it (sizes learned from the responses), against the simulator's model.
        gatewayEstimate: { beforeBytes: estimateBefore ?? null, afterBytes: estimateAfter ?? null },
        best: { level: ceiling.level, levelFractionOfBudget: ceiling.fraction, concurrent: k, tries, secondsThroughGateway: tkGateway, secondsDirect: tkDirect, idealSecondsThroughGateway: idealGateway, idealSecondsDirect: idealDirect },
        gatewayRss: gwMem,
        gatewayMetrics,
        direct: runFigures(direct),
        listgate: runFigures(through),
      },
      ratios,
      goals,
      summary,
      artifacts: [chartPath],
    };
  });
}

export const benchmark: Benchmark = {
  name: 'storm',
  description: '16 informers relisting big secrets at once: simulator memory, OOM kills and time to sync, without and with listgate',
  run: runStormBenchmark,
};
