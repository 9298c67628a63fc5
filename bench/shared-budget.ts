/**
 * One budget across replicas, on Redis (admission.sharedBudget):
 *
 * 1. decision cost: a LIST's admission (admit, then release) on a budget whose store is a real Redis on
 *    loopback, against the same budget alone; the goal: the shared one adds at most 1 ms at p99.
 * 2. the uneven storm: three gateway replicas (processes) before one simulator, 16 informers split
 *    12/3/1 over them, with one budget B either shared through Redis or split statically (B ÷ 3 each).
 *    Time until every client has synced, and the simulator's peak in-flight memory; the goal: the shared
 *    budget syncs faster than the static split and never exceeds B.
 * 3. leases under aborts: after the shared storm, thousands of LISTs over the same three replicas, a third
 *    aborted by their clients at random moments; afterwards Redis must hold no lease (else the benchmark
 *    breaks: a leak is a bug, not a number).
 */
import { createBudget, type Budget, type BudgetSettings } from '../src/admit/budget.js';
import { createSharedBudget } from '../src/admit/shared/create-shared-budget.js';
import { SHARED_BUDGET_DEFAULTS } from '../src/admit/shared/shared-budget-settings.js';
import { Registry } from 'prom-client';
import { serviceAccountIdentities, type SimulatorSeed } from './lib/bench-stack.js';
import { goal, type BenchContext, type BenchReport, type Benchmark, type Goal } from './lib/benchmark.js';
import { createLatencyRecorder, round, type LatencySummary } from './lib/latency.js';
import { startFleet } from './lib/replica-fleet.js';
import { startRedisServer } from './lib/redis-server.js';
import { withScratch } from './lib/scratch.js';
import { runStorm, type StormRunResult } from './lib/storm-run.js';
import { runAbortStorm, type AbortStormResult } from './lib/abort-storm.js';
import { createClientAgent } from './lib/https-client.js';
import { Redis } from 'ioredis';

const MIB = 2 ** 20;
const GIB = 2 ** 30;
const SPLIT = [12, 3, 1];
const CLIENTS = SPLIT.reduce((a, b) => a + b, 0);

/** Milliseconds of `admit` + `release` of one LIST-sized lease, `n` times one after the other. */
async function timeDecisions(budget: Budget, n: number): Promise<LatencySummary> {
  const rec = createLatencyRecorder(n);
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const outcome = await budget.admit({ level: 'work', flow: `user:${i % 16}`, key: `k${i}`, bytes: 64 * MIB });
    rec.record(performance.now() - started);
    if (outcome.decision !== 'admitted') throw new Error(`decision-cost: expected admitted, got ${outcome.decision}`);
    outcome.lease.release();
  }
  return rec.summary();
}

async function decisionCost(ctx: BenchContext): Promise<{ local: LatencySummary; shared: LatencySummary }> {
  const n = ctx.quick ? 500 : 5_000;
  const settings: BudgetSettings = { budgetBytes: 8 * GIB, levels: [{ name: 'work', exempt: false, share: 1, limit: 1, queue: { length: 16, lengthPerFlow: 16, maxWaitMs: 10_000 } }], maxRetryAfterSeconds: 32, initialHoldTimeMs: 1000, holdOverMs: 0 };
  const local = createBudget(settings, { now: () => performance.now() });
  // Warm-up: a gateway decides thousands of times a minute; the timed rounds measure its steady state, not
  // the first calls' compilation (with 200 warm-up calls the shared path's p99 read 2.3 ms, with 2,000
  // 0.2-0.3 ms on a quiet machine).
  const warmUp = Math.min(n, 2000);
  await timeDecisions(local, warmUp);
  const localSummary = await timeDecisions(local, n);
  const redis = await startRedisServer();
  const shared = createSharedBudget({
    settings: { ...SHARED_BUDGET_DEFAULTS, host: '127.0.0.1', port: redis.port, tls: undefined, username: undefined, passwordFile: undefined, keyPrefix: 'bench:' },
    files: undefined,
    registry: new Registry(),
    now: () => performance.now(),
    holdOverMs: 0,
    replica: 'bench',
  });
  try {
    const budget = createBudget(settings, { now: () => performance.now(), store: shared.store });
    await shared.store.start();
    if (shared.store.state().mode !== 'shared') throw new Error(`decision-cost: the shared budget did not join Redis (${shared.describe()})`);
    await timeDecisions(budget, warmUp);
    return { local: localSummary, shared: await timeDecisions(budget, n) };
  } finally {
    await shared.close();
    await redis.stop();
  }
}

/** Leases held in Redis under `prefix`, every replica's. */
async function redisLeases(port: number, prefix: string): Promise<number> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    let n = 0;
    for (const key of await client.keys(`${prefix}o:*:leases`)) n += await client.hlen(key);
    return n;
  } finally {
    client.disconnect();
  }
}

async function unevenStorm(ctx: BenchContext, mode: 'shared' | 'split', seed: SimulatorSeed, budgetBytes: number, oomLimitBytes: number): Promise<StormRunResult & { leasesLeft: number; aborts?: AbortStormResult & { redisLeasesLeft: number } }> {
  return withScratch(ctx, `shared-budget-${mode}`, async ({ dir, group }) => {
    const fleet = await startFleet({
      dir,
      group,
      replicas: SPLIT.length,
      seed,
      oomLimitBytes,
      budgetBytes,
      mode,
      admission: { holdOver: '1s', ...(ctx.quick ? { initialHoldTime: '500ms' } : {}) },
      // Each replica reads a sample of the Secrets before it prices its first LIST (outside the budget):
      // at full size 10 × 512 KiB from etcd, ~3 % of the budget; the quick run's 24 Secrets of 64 KiB
      // would make the three samples of 10 over half of its 23 MiB budget, so it samples one.
      ...(ctx.quick ? { estimator: { sizes: { sampling: { items: 1 } } } } : {}),
    });
    try {
      const identities = serviceAccountIdentities(fleet.pki, CLIENTS);
      const owner = SPLIT.flatMap((n, replica) => Array.from({ length: n }, () => replica));
      const result = await runStorm({
        label: mode,
        target: fleet.targets[0]!,
        targetFor: (client) => fleet.targets[owner[client]!]!,
        sim: fleet.sim,
        identities,
        path: '/api/v1/secrets',
        deadlineMs: ctx.quick ? 60_000 : 300_000,
        tailMs: 300,
      });
      let leasesLeft = 0;
      for (const g of fleet.gateways) {
        const line = (await g.metricsText()).split('\n').filter((l) => l.startsWith('listgate_admission_leases{'));
        leasesLeft += line.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      }
      if (mode === 'split' || !fleet.redis) return { ...result, leasesLeft };
      const agents = fleet.gateways.map(() => createClientAgent(fleet.pki.user, { maxSockets: 8 }));
      const aborts = await runAbortStorm({
        targets: fleet.targets,
        agents,
        paths: ['/api/v1/namespaces/ns-0/secrets', '/api/v1/namespaces/ns-1/secrets?limit=5', '/api/v1/secrets?limit=10', '/api/v1/secrets?resourceVersion=0&limit=20'],
        total: ctx.quick ? 300 : 3_000,
        concurrency: 24,
        abortShare: 0.35,
        seed: 20_261_218,
      });
      for (const a of agents) a.destroy();
      // Releases are sent as responses end: give the last ones a moment to land.
      let redisLeasesLeft = await redisLeases(fleet.redis.port, fleet.keyPrefix);
      for (let i = 0; i < 50 && redisLeasesLeft > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        redisLeasesLeft = await redisLeases(fleet.redis.port, fleet.keyPrefix);
      }
      return { ...result, leasesLeft, aborts: { ...aborts, redisLeasesLeft } };
    } finally {
      await group.stopAll();
      await fleet.close();
    }
  });
}

export async function runSharedBudgetBenchmark(ctx: BenchContext): Promise<BenchReport> {
  ctx.log('decision cost: admit + release of a LIST lease, local budget vs shared through Redis on loopback');
  const cost = await decisionCost(ctx);
  const addedP99 = cost.shared.p99Ms - cost.local.p99Ms;

  const seed: SimulatorSeed = ctx.quick
    ? { secrets: 24, secretSize: 64 * 1024, namespaces: 2, configmaps: 0, pods: 0 }
    : { secrets: 120, secretSize: 512 * 1024, namespaces: 4, configmaps: 0, pods: 0 };
  // The storm benchmark's proportions: an OOM limit scaled with the data, the budget 0.6 of it.
  const oomLimitBytes = Math.round((10 * GIB * (seed.secrets * seed.secretSize)) / (400 * 1024 * 1024));
  const budgetBytes = Math.round(0.6 * oomLimitBytes);
  ctx.log(`uneven storm: ${CLIENTS} informers split ${SPLIT.join('/')} over ${SPLIT.length} replicas, ${seed.secrets} secrets of ${seed.secretSize / 1024} KiB, budget ${round(budgetBytes / MIB)} MiB`);
  const shared = await unevenStorm(ctx, 'shared', seed, budgetBytes, oomLimitBytes);
  ctx.log(`shared: ${shared.synced}/${CLIENTS} synced in ${round(shared.allSyncedSeconds ?? shared.seconds, 1)} s`);
  const split = await unevenStorm(ctx, 'split', seed, budgetBytes, oomLimitBytes);
  ctx.log(`split: ${split.synced}/${CLIENTS} synced in ${round(split.allSyncedSeconds ?? split.seconds, 1)} s`);
  for (const run of [shared, split]) {
    if (run.leasesLeft !== 0) throw new Error(`${run.label}: ${run.leasesLeft} leases still held after the storm`);
  }
  const aborts = shared.aborts!;
  ctx.log(`aborts: ${aborts.requests} LISTs (${aborts.aborted} aborted) over the replicas in ${round(aborts.seconds, 1)} s, ${aborts.redisLeasesLeft} leases left in Redis`);
  if (aborts.redisLeasesLeft !== 0) throw new Error(`${aborts.redisLeasesLeft} leases left in Redis after ${aborts.requests} requests with aborts`);

  const ratios: Record<string, number> = {
    sharedP99VsLocalP99: round(cost.shared.p99Ms / cost.local.p99Ms),
    sharedPeakInflightVsBudget: round(shared.peakInflightBytes / budgetBytes),
    splitPeakInflightVsBudget: round(split.peakInflightBytes / budgetBytes),
    ...(shared.allSyncedSeconds !== undefined && split.allSyncedSeconds !== undefined ? { syncTimeSharedVsSplit: round(shared.allSyncedSeconds / split.allSyncedSeconds) } : {}),
  };
  const goals: Goal[] = [
    goal('admission added by the shared budget, p99', '≤ 1 ms', addedP99, addedP99 <= 1, 3),
    goal('clients synced with the shared budget', `${CLIENTS}/${CLIENTS}`, shared.synced, shared.synced === CLIENTS, 0),
    goal('peak in-flight ÷ the one budget (shared)', '≤ 1', ratios.sharedPeakInflightVsBudget!, shared.peakInflightBytes <= budgetBytes),
    goal('OOM kills with the shared budget', '0', shared.oomKills, shared.oomKills === 0, 0),
    goal('time to all synced, shared ÷ static split', '< 1', ratios.syncTimeSharedVsSplit ?? Number.NaN, (ratios.syncTimeSharedVsSplit ?? Infinity) < 1),
    goal('leases left in Redis after the aborts', '0', aborts.redisLeasesLeft, aborts.redisLeasesLeft === 0, 0),
  ];
  const line = (r: StormRunResult) =>
    `${r.label}: ${r.synced}/${CLIENTS} synced${r.allSyncedSeconds !== undefined ? ` after ${round(r.allSyncedSeconds, 1)} s` : ''}, peak in-flight ${round(r.peakInflightBytes / MIB)} MiB ` +
    `(${round(r.peakInflightBytes / budgetBytes)}× the budget), ${r.oomKills} OOM kills, ${r.totals.tooManyRequests} × 429, ${r.totals.backoffs} back-offs`;
  return {
    figures: {
      decisionCost: { local: cost.local, shared: cost.shared, addedP99Ms: addedP99 },
      storm: { seed, split: SPLIT, budgetBytes, oomLimitBytes, shared: { ...shared, samples: undefined, aborts: undefined }, static: { ...split, samples: undefined } },
      aborts,
    },
    ratios,
    goals,
    summary: [
      `decision cost: p50 ${round(cost.local.p50Ms, 3)} → ${round(cost.shared.p50Ms, 3)} ms, p99 ${round(cost.local.p99Ms, 3)} → ${round(cost.shared.p99Ms, 3)} ms (local → shared through Redis): +${round(addedP99, 3)} ms at p99`,
      line(shared),
      line(split),
      `the shared budget synced in ${ratios.syncTimeSharedVsSplit ?? '–'}× the static split's time`,
      `${aborts.requests} LISTs over the replicas, ${aborts.aborted} aborted by their clients (statuses ${JSON.stringify(aborts.statuses)}): ${aborts.redisLeasesLeft} leases left in Redis`,
    ],
  };
}

export const benchmark: Benchmark = {
  name: 'shared-budget',
  description: 'one budget across three replicas on Redis: admission decision cost, and an uneven storm (12/3/1) shared vs budget ÷ 3 each',
  run: runSharedBudgetBenchmark,
};
