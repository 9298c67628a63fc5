/**
 * The storm on a real kube-apiserver (test/support/apiserver/: v1.32.6 and etcd 3.5 from
 * KUBEBUILDER_ASSETS), full size: the apiserver alone in an 8 GiB memory cgroup, 406 Secrets of 900 kB
 * (a ~469 MiB JSON LIST) in 4 namespaces, 16 clients at once — 8 `kubectl get --raw /api/v1/secrets`
 * and 8 informer-style clients (kube-storm.ts). Quick: 1.25 GiB, 60 Secrets, 4 + 4 clients.
 * 1. direct: the storm straight at the apiserver (expect an OOM kill; it is started again after one);
 * 2. cold: through a fresh gateway (budget 0.6 of the limit, the adaptive budget on with its ceiling at
 *    0.82 of it, as the scaled test in test/apiserver/storm.test.ts; offload off: admission alone);
 * 3. warm: through the same gateway again, the apiserver's memory settled first;
 * 4. the estimate's error: single LISTs through the warm gateway in several modes (kube-list-modes.ts),
 *    estimate ÷ the cgroup's rise over a settled baseline;
 * 5. the best the budget allows: k = ⌊the storm's levels' part of the budget ÷ one LIST's measured rise⌋,
 *    t_k = k such LISTs started together straight at the apiserver; best = ⌈clients ÷ k⌉ × t_k;
 * 6. `listgate calibrate` against the same apiserver, its factors beside the ones measured in 4.
 * The apiserver's memory over the three storms goes to an SVG (docs/benchmarks-storm-kube.svg in the
 * full run). Goals are reported, never asserted. With STORM_KUBE_GOMEMLIMIT=1 the apiserver runs with a
 * soft memory limit (GOMEMLIMIT) at the adaptive ceiling, as docs/admission.md recommends.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOLDABLE_BYTES } from '../src/cli/calibrate-run.js';
import { grant, createNamespace, seedSecrets } from '../test/support/apiserver/cluster-objects.js';
import { requireEnvtestAssets } from '../test/support/apiserver/envtest-assets.js';
import { startKubeApiserver } from '../test/support/apiserver/kube-apiserver.js';
import { memoryCgroupsAvailable } from '../test/support/apiserver/memory-cgroup.js';
import { combinedCeilingFraction } from './lib/admission-section.js';
import type { BenchContext, BenchReport, Benchmark } from './lib/benchmark.js';
import { bestTime, compareFactors, factorsByMode, summarizeEstimateError } from './lib/estimate-error.js';
import { createClientAgent } from './lib/https-client.js';
import { runListgateCalibrate } from './lib/kube-calibrate.js';
import { timeConcurrentLists, type ConcurrentLists } from './lib/kube-concurrent-lists.js';
import { startGatewayOnKube } from './lib/kube-gateway.js';
import { measureListModes, type ListMode } from './lib/kube-list-modes.js';
import { STORM_KUBECTL_GROUP } from './lib/kube-storm.js';
import { renderKubeStormChart } from './lib/kube-storm-chart.js';
import { median } from './lib/latency.js';
import { withScratch } from './lib/scratch.js';
import { buildStormKubeReport, CALIBRATE_PAIRS } from './lib/storm-kube-report.js';
import { runStormPhase, type StormPhase } from './lib/storm-kube-phase.js';

const GIB = 2 ** 30;
const NAMESPACES = ['storm-0', 'storm-1', 'storm-2', 'storm-3'];
const PROBE_USER = 'system:serviceaccount:default:bench-probe';

export const STORM_KUBE_SIZES = {
  full: {
    limitBytes: 8 * GIB, secrets: 406, dataBytes: 900_000, kubectl: 8, informers: 8, directDeadlineMs: 10 * 60_000, gatewayDeadlineMs: 25 * 60_000,
    repeats: 3, pageLimit: 100, tries: 2, settle: { intervalMs: 1000, maxMs: 60_000 }, calibrate: [] as string[],
  },
  quick: {
    limitBytes: 1.25 * GIB, secrets: 60, dataBytes: 900_000, kubectl: 4, informers: 4, directDeadlineMs: 3 * 60_000, gatewayDeadlineMs: 5 * 60_000,
    repeats: 2, pageLimit: 20, tries: 1, settle: { intervalMs: 1000, maxMs: 15_000 }, calibrate: ['--max-concurrency', '1', '--rounds', '1', '--samples', '2', '--settle', '10s'],
  },
};

/**
 * The gateway's admission, as the scaled test sets it, in proportion to the apiserver's limit. Offload is
 * off: this measures what admission alone does (429s, retries); bench/offload-storm.ts measures offload.
 */
export function stormKubeAdmission(limitBytes: number) {
  return {
    budget: Math.round(0.6 * limitBytes),
    adaptive: { enabled: true, ceiling: Math.round(0.82 * limitBytes), minimum: Math.round(0.1 * limitBytes), interval: '2s' },
    offload: 'off' as const,
  };
}

function preflight(): void {
  try {
    requireEnvtestAssets();
  } catch (err) {
    throw new Error(`storm-kube needs a real kube-apiserver and etcd: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!memoryCgroupsAvailable()) throw new Error('storm-kube needs root and a memory cgroup controller (cgroup v1 or v2) to put the apiserver in a memory cgroup');
}

export async function runStormKube(ctx: BenchContext): Promise<BenchReport> {
  preflight();
  const size = ctx.quick ? STORM_KUBE_SIZES.quick : STORM_KUBE_SIZES.full;
  const admission = stormKubeAdmission(size.limitBytes);
  const withMemLimit = process.env.STORM_KUBE_GOMEMLIMIT === '1';
  if (withMemLimit) ctx.log(`STORM_KUBE_GOMEMLIMIT=1: the apiserver runs with GOMEMLIMIT at the adaptive ceiling`);
  return withScratch(ctx, 'storm-kube', async ({ dir, group }) => {
    // A restarted apiserver fills its watch cache with every Secret before it is ready: minutes on a busy machine.
    const kube = await startKubeApiserver({ memoryLimitBytes: size.limitBytes, readyTimeoutMs: 10 * 60_000, ...(withMemLimit ? { goMemLimitBytes: admission.adaptive.ceiling } : {}) });
    try {
      ctx.log(`kube-apiserver in a ${size.limitBytes / GIB} GiB cgroup; seeding ${size.secrets} Secrets of ${size.dataBytes / 1000} kB`);
      const seededAt = performance.now();
      for (const [i, namespace] of NAMESPACES.entries()) {
        await createNamespace(kube, namespace);
        const count = Math.floor(size.secrets / NAMESPACES.length) + (i < size.secrets % NAMESPACES.length ? 1 : 0);
        await seedSecrets(kube, { namespace, count, dataBytes: size.dataBytes });
      }
      for (const name of [STORM_KUBECTL_GROUP, 'system:serviceaccounts']) {
        await grant(kube, { kind: 'Group', name }, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
      }
      const seedSeconds = (performance.now() - seededAt) / 1000;
      const version = (await kube.request('/version')).json as { gitVersion?: string };
      const etcd = (await (await fetch(`${kube.etcdUrl}/version`)).json()) as { etcdserver?: string };
      const upstream = { kubeApiserver: version.gitVersion ?? 'unknown', etcd: etcd.etcdserver ?? 'unknown' };
      ctx.log(`${upstream.kubeApiserver}, etcd ${upstream.etcd}; seeded in ${seedSeconds.toFixed(0)} s`);

      const phase = (label: string, target: { name: string; host: string; port: number }, deadlineMs: number, gateway?: Parameters<typeof runStormPhase>[0]['gateway']) =>
        runStormPhase({ label, kube, dir, target, ...(gateway ? { gateway } : {}), kubectlClients: size.kubectl, informerClients: size.informers, deadlineMs, settle: size.settle });
      const said = (p: StormPhase, label: string): void =>
        ctx.log(`${label}: ${p.run.oomKills} OOM kills, peak ${(p.run.peakBytes / GIB).toFixed(2)} GiB, kubectl ${p.kubectlCompleted}/${size.kubectl}, informers ${p.informersSynced}/${size.informers}, ${p.gatewayRejections ?? p.informerTooManyRequests} × 429${p.gatewayCollections ? `, ${p.gatewayCollections} collections asked` : ''}, ${p.run.seconds.toFixed(0)} s${p.restarted ? ' (apiserver started again)' : ''}`);

      ctx.log('direct: the storm straight at the apiserver');
      const direct = await phase('direct', { name: 'direct', host: '127.0.0.1', port: kube.port }, size.directDeadlineMs);
      said(direct, 'direct');
      const gateway = await startGatewayOnKube(group, { dir, kube, sections: { admission } });
      ctx.log(`cold: through a fresh gateway (budget ${(admission.budget / GIB).toFixed(2)} GiB, adaptive ceiling ${(admission.adaptive.ceiling / GIB).toFixed(2)} GiB)`);
      const cold = await phase('cold', gateway.target, size.gatewayDeadlineMs, gateway);
      said(cold, 'cold');
      ctx.log('warm: through the same gateway again');
      const warm = await phase('warm', gateway.target, size.gatewayDeadlineMs, gateway);
      said(warm, 'warm');

      // The estimate's error and the factors, LIST by LIST through the warm gateway.
      const probeGroups = ['system:serviceaccounts', 'system:serviceaccounts:default'];
      const probe = kube.pki.issueUser(PROBE_USER, probeGroups);
      const probeAgent = createClientAgent({ caPem: kube.caPem, certPem: probe.certPem, keyPem: probe.keyPem }, { maxSockets: 1 });
      const currentRevision = async (): Promise<string> => ((await kube.request('/api/v1/secrets?limit=1')).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const modes: ListMode[] = [
        { name: 'json-consistent', path: '/api/v1/secrets' },
        { name: 'json-rv0', path: '/api/v1/secrets?resourceVersion=0' },
        { name: 'json-etcd-exact', path: async () => `/api/v1/secrets?resourceVersion=${await currentRevision()}&resourceVersionMatch=Exact` },
        { name: 'protobuf-consistent', path: '/api/v1/secrets', accept: 'application/vnd.kubernetes.protobuf' },
        { name: 'json-namespace', path: `/api/v1/namespaces/${NAMESPACES[1]}/secrets` },
        { name: 'json-pages', path: `/api/v1/secrets?limit=${size.pageLimit}`, paged: true },
      ];
      const listed = await measureListModes({ kube, target: gateway.target, agent: probeAgent, gatewayLog: gateway.proc.logFile, opsPort: gateway.opsPort, user: PROBE_USER, groups: probeGroups, modes, repeats: size.repeats, settle: size.settle, log: ctx.log });
      probeAgent.destroy();
      const measured = factorsByMode(listed.samples, HOLDABLE_BYTES);

      // The best the budget allows: k LISTs like the storm's (consistent and RV=0, alternating) at once.
      const held = (mode: string): number => median(listed.samples.filter((s) => s.mode === mode).map((s) => s.heldBytes));
      const perListHeld = (held('json-consistent') + held('json-rv0')) / 2;
      const fraction = combinedCeilingFraction([STORM_KUBECTL_GROUP, 'system:serviceaccounts']);
      const clients = size.kubectl + size.informers;
      const { k, waves } = bestTime({ clients, budgetBytes: fraction * admission.budget, heldBytes: perListHeld });
      const paths = Array.from({ length: k }, (_, i) => (i % 2 === 0 ? '/api/v1/secrets' : '/api/v1/secrets?resourceVersion=0'));
      const tries: ConcurrentLists[] = [];
      for (let i = 0; i < size.tries; i++) {
        const t = await timeConcurrentLists(kube, paths, size.settle);
        tries.push(t);
        ctx.log(`t_${k}: ${t.seconds.toFixed(1)} s, peak ${(t.peakBytes / GIB).toFixed(2)} GiB${t.failed ? `, ${t.failed} failed` : ''}${t.oomKills ? ', OOM-killed' : ''}`);
        if (t.oomKills > 0) await kube.restart();
      }
      const good = tries.filter((t) => t.failed === 0);
      const tk = good.length > 0 ? Math.min(...good.map((t) => t.seconds)) : Number.NaN;
      const informersOnly = bestTime({ clients: size.informers, budgetBytes: fraction * admission.budget, heldBytes: perListHeld });
      const best = { levelsFractionOfBudget: fraction, perListHeldBytes: perListHeld, k, waves, tkSeconds: tk, bestSeconds: waves * tk, informersOnlySeconds: informersOnly.waves * tk, tries };
      ctx.log(`best the budget allows: ${k} at a time (one LIST holds ${(perListHeld / GIB).toFixed(2)} GiB), ${waves} waves × ${tk.toFixed(1)} s = ${best.bestSeconds.toFixed(0)} s`);

      ctx.log('listgate calibrate against the same apiserver');
      const calibrate = await runListgateCalibrate(kube.adminKubeconfig, ['--budget', String(admission.budget), ...size.calibrate], (line) => ctx.log(`  ${line}`));
      const comparison = compareFactors(calibrate.result?.factors ?? {}, measured, CALIBRATE_PAIRS);

      const chartPath = ctx.docsDir ? join(ctx.docsDir, 'benchmarks-storm-kube.svg') : join(ctx.resultsDir, 'storm-kube.svg');
      await writeFile(
        chartPath,
        renderKubeStormChart({
          runs: [
            { run: direct.run, name: 'direct', color: '#c0392b', informersSyncedSeconds: direct.informersSyncedSeconds },
            { run: cold.run, name: 'listgate cold', color: '#1f6fb2', informersSyncedSeconds: cold.informersSyncedSeconds },
            { run: warm.run, name: 'listgate warm', color: '#27ae60', informersSyncedSeconds: warm.informersSyncedSeconds },
          ],
          limitBytes: size.limitBytes,
          ceilingBytes: admission.adaptive.ceiling,
          title: `kube-apiserver ${upstream.kubeApiserver}, ${clients} clients listing ${size.secrets} Secrets of 900 kB at once (listgate budget ${(admission.budget / GIB).toFixed(1)} GiB)`,
        }),
      );
      return buildStormKubeReport({
        size: { ...size, namespaces: NAMESPACES.length, seedSeconds },
        upstream,
        admission,
        runs: { direct, cold, warm },
        listed,
        errorCold: summarizeEstimateError(listed.samples.filter((s) => s.pass === 0), HOLDABLE_BYTES),
        errorWarm: summarizeEstimateError(listed.samples.filter((s) => s.pass > 0), HOLDABLE_BYTES),
        errorWarmVsRise: summarizeEstimateError(listed.samples.filter((s) => s.pass > 0), HOLDABLE_BYTES, (s) => s.estimateVsRise),
        measured,
        best,
        calibrate,
        comparison,
        chartPath,
      });
    } finally {
      await kube.stop();
    }
  });
}

export const benchmark: Benchmark = {
  name: 'storm-kube',
  description: 'the storm on a real kube-apiserver 1.32 in a memory cgroup: OOM kills, memory, 429s and time to sync direct, through listgate cold and warm; estimate error; calibrate',
  run: runStormKube,
};
