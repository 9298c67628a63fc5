/**
 * The storm on a real kube-apiserver 1.32.6 (envtest; etcd 3.5, so it serves streaming lists) in a memory
 * cgroup, through listgate with offload off and on: ~400 Secrets of 900 KB in 8 GiB (quick: 40 in
 * 1.5 GiB), 8 kubectl `get --raw` clients and 8 informer-style clients relisting at once, with a
 * client-node informer and the Python client listing the same Secrets meanwhile (lib/offload-storm.ts).
 *   whole  offload off, a budget whole LISTs fit (two at a time per level): the storm as before offload,
 *          held back with 429s (kubectl and the informers retry; client-node cannot);
 *   off    offload off, a budget no whole LIST ever fits: every LIST is answered 429, for good;
 *   pages  the same budget, offload on, streaming lists not used: every LIST is served in pages;
 *   auto   the same budget, offload on as shipped: the upstream serves streaming lists, so offloaded LISTs
 *          come from one.
 * Each run starts a fresh apiserver and gateway and reports the 429s (all, and the witnesses'), the time
 * until every client had synced, the apiserver's peak memory above idle, OOM kills, and the gateway's RSS
 * above idle (`whole` measures the relay's own working set for this storm: the baseline offload adds to).
 * Needs the envtest binaries (KUBEBUILDER_ASSETS) and root (the memory cgroup); without them it says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grant, seedSecrets } from '../test/support/apiserver/cluster-objects.js';
import { findEnvtestAssets } from '../test/support/apiserver/envtest-assets.js';
import { startKubeApiserver } from '../test/support/apiserver/kube-apiserver.js';
import { memoryCgroupsAvailable } from '../test/support/apiserver/memory-cgroup.js';
import { goal, type BenchContext, type BenchReport, type Benchmark } from './lib/benchmark.js';
import { STORM_KUBECTL_GROUP } from './lib/kube-storm.js';
import { runOffloadStorm, stormAdmission, type OffloadStormRun } from './lib/offload-storm.js';
import { readProcStats } from './lib/proc-stats.js';
import { createProcessGroup } from './lib/server-process.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/**
 * A whole LIST of the Secrets is estimated at ~1.2 GiB at full size (~120 MiB quick). `fits`: each of the
 * two levels may hold two of them at once (the storm as listgate met it before offload); `never`: not one
 * (every LIST is more than its level can ever hold), with the apiserver's idle memory (~1 GiB) and its
 * garbage well within the cgroup either way.
 */
const SIZES = {
  full: { secrets: 400, limitBytes: 8 * GIB, budget: { fits: '5Gi', never: '2Gi' }, deadlineMs: 15 * 60_000, refusedDeadlineMs: 3 * 60_000 },
  quick: { secrets: 40, limitBytes: 1.5 * GIB, budget: { fits: '500Mi', never: '200Mi' }, deadlineMs: 5 * 60_000, refusedDeadlineMs: 90_000 },
};

/** The runs, in order: offload off with LISTs that fit, then off, in pages and as shipped with LISTs that never fit. */
const MODES = {
  whole: { budget: 'fits', offload: 'off', streamingLists: 'auto' },
  off: { budget: 'never', offload: 'off', streamingLists: 'auto' },
  pages: { budget: 'never', offload: 'auto', streamingLists: 'disabled' },
  auto: { budget: 'never', offload: 'auto', streamingLists: 'auto' },
} as const;

/** Waits until a process's RSS has stopped growing (two samples 2 s apart within 2 %), at most a minute: a restarted apiserver fills its watch cache first. */
async function settled(pid: number): Promise<void> {
  let last = readProcStats(pid)?.rssBytes ?? 0;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = readProcStats(pid)?.rssBytes ?? 0;
    if (Math.abs(now - last) <= 0.02 * last) return;
    last = now;
  }
}

function figuresOf(r: OffloadStormRun): Record<string, unknown> {
  return {
    tooManyRequests: r.tooManyRequests,
    witnesses: r.witnesses,
    syncedSeconds: r.syncedSeconds ?? null,
    stormCompletedSeconds: r.storm.allCompletedSeconds ?? null,
    completed: r.storm.completed,
    clients: r.storm.clients,
    oomKills: r.storm.oomKills,
    apiserverCgroupIdleBytes: r.apiserver.idleBytes,
    apiserverCgroupPeakBytes: r.apiserver.peakBytes,
    apiserverCgroupLimitBytes: r.apiserver.limitBytes,
    apiserverIdleRssBytes: r.apiserver.idleRssBytes,
    apiserverPeakRssBytes: r.apiserver.peakRssBytes,
    gatewayIdleRssBytes: r.gateway.idleRssBytes,
    gatewayPeakRssBytes: r.gateway.peakRssBytes,
    offload: r.offload,
    informers429: r.storm.informers.reduce((a, i) => a + i.tooManyRequests, 0),
  };
}

function line(mode: string, r: OffloadStormRun): string {
  const w = r.witnesses.map((x) => `${x.client} ${x.synced ? `synced in ${x.seconds.toFixed(1)} s` : `FAILED (${x.error ?? ''})`}, ${x.tooManyRequests} × 429`).join('; ');
  const synced = r.syncedSeconds !== undefined ? `all synced in ${r.syncedSeconds.toFixed(1)} s` : `${r.storm.completed}/${r.storm.clients} storm clients completed`;
  return (
    `${mode.padEnd(5)}: ${r.tooManyRequests} × 429, ${synced}, ${r.storm.oomKills} OOM kills, apiserver RSS ${(r.apiserver.idleRssBytes / GIB).toFixed(2)} → peak ${(r.apiserver.peakRssBytes / GIB).toFixed(2)} GiB ` +
    `(cgroup peak ${(r.apiserver.peakBytes / GIB).toFixed(2)} of ${(r.apiserver.limitBytes / GIB).toFixed(1)} GiB), gateway RSS ${(r.gateway.idleRssBytes / MIB).toFixed(0)} → ${(r.gateway.peakRssBytes / MIB).toFixed(0)} MiB, ` +
    `${r.offload.lists} offloaded (${r.offload.pieces} pieces); witnesses: ${w}`
  );
}

export const benchmark: Benchmark = {
  name: 'offload-storm',
  description: 'the storm on a real kube-apiserver through listgate with offload off, in pages, and as shipped (streaming lists)',
  async run(ctx: BenchContext): Promise<BenchReport> {
    const assets = findEnvtestAssets();
    if ('problem' in assets || !memoryCgroupsAvailable()) {
      const why = 'problem' in assets ? assets.problem : 'a memory cgroup needs root and a mounted memory controller';
      return { figures: { ran: false, why }, ratios: {}, goals: [], summary: [`not run: ${why}`] };
    }
    const size = ctx.quick ? SIZES.quick : SIZES.full;
    const dir = mkdtempSync(join(tmpdir(), 'listgate-bench-offload-'));
    const group = createProcessGroup();
    // A restart reads every Secret into the watch cache before it is ready: slow on a busy machine.
    const kube = await startKubeApiserver({ memoryLimitBytes: size.limitBytes, readyTimeoutMs: 10 * 60_000 });
    try {
      ctx.log(`seeding ${size.secrets} Secrets of 900 KB`);
      await seedSecrets(kube, { namespace: 'default', count: size.secrets, dataBytes: 900 * 1024 });
      for (const name of [STORM_KUBECTL_GROUP, 'system:serviceaccounts']) {
        await grant(kube, { kind: 'Group', name }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
      }
      const runs: Record<string, OffloadStormRun> = {};
      for (const [mode, m] of Object.entries(MODES)) {
        // A fresh apiserver each time: what one storm leaves in its heap is not the next one's.
        await kube.restart();
        await settled(kube.pid());
        ctx.log(`storm: ${mode} (budget ${size.budget[m.budget]}, offload ${m.offload}, streaming lists ${m.streamingLists})`);
        runs[mode] = await runOffloadStorm({
          label: mode,
          kube,
          group,
          dir,
          admission: stormAdmission(size.budget[m.budget], { offload: m.offload, streamingLists: m.streamingLists }),
          kubectlClients: 8,
          informerClients: 8,
          namespace: 'default',
          // Refused for good, the clients never sync: the run ends at its deadline.
          deadlineMs: mode === 'off' ? size.refusedDeadlineMs : size.deadlineMs,
        });
        ctx.log(line(mode, runs[mode]!));
      }
      const on = [runs.pages!, runs.auto!];
      const witness429 = (r: OffloadStormRun) => r.witnesses.reduce((a, w) => a + w.tooManyRequests, 0);
      const rssRise = (r: OffloadStormRun) => r.gateway.peakRssBytes - r.gateway.idleRssBytes;
      const rise = (r: OffloadStormRun) => r.apiserver.peakRssBytes - r.apiserver.idleRssBytes;
      const page = runs.pages!.gateway.largestPageBytes;
      return {
        figures: { seed: { secrets: size.secrets, secretBytes: 900 * 1024 }, limitBytes: size.limitBytes, budget: size.budget, runs: Object.fromEntries(Object.entries(runs).map(([m, r]) => [m, figuresOf(r)])) },
        ratios: {
          ...(runs.whole!.syncedSeconds !== undefined && runs.pages!.syncedSeconds !== undefined ? { syncTimePagesVsWhole: runs.pages!.syncedSeconds / runs.whole!.syncedSeconds } : {}),
          apiserverRssRisePagesVsWhole: rise(runs.pages!) / Math.max(1, rise(runs.whole!)),
          apiserverRssRiseAutoVsWhole: rise(runs.auto!) / Math.max(1, rise(runs.whole!)),
        },
        goals: [
          goal('429s the witnesses saw with offload on (pages, auto)', '0', witness429(runs.pages!) + witness429(runs.auto!), witness429(runs.pages!) + witness429(runs.auto!) === 0),
          goal('runs with offload on where every client synced', '2 of 2', on.filter((r) => r.syncedSeconds !== undefined).length, on.every((r) => r.syncedSeconds !== undefined)),
          goal('OOM kills with offload on', '0', on.reduce((a, r) => a + r.storm.oomKills, 0), on.every((r) => r.storm.oomKills === 0)),
          goal(
            'gateway RSS rise in pages over the relay working set without offload (MiB)',
            `≤ one page (${(page / MIB).toFixed(1)} MiB)`,
            (rssRise(runs.pages!) - rssRise(runs.whole!)) / MIB,
            rssRise(runs.pages!) - rssRise(runs.whole!) <= page,
          ),
        ],
        summary: Object.entries(runs).map(([m, r]) => line(m, r)),
      };
    } finally {
      await group.stopAll();
      await kube.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
