/**
 * One run of the real-apiserver storm (kube-storm.ts) as the benchmark records it: the apiserver's memory
 * settled first, then the storm; through a gateway, also the gateway's RSS, its admission state over time
 * (gateway-sampler.ts), the 429s it gave, and the first price it put on each client's LIST (its request
 * lines). After the run the apiserver is started again if the storm killed it.
 */
import type { GatewayProcess } from './bench-stack.js';
import { firstEstimate, readRequestLines, type RequestLine } from './gateway-log.js';
import { sampleGateway, sumMetric, type GatewaySample } from './gateway-sampler.js';
import type { Target } from './https-client.js';
import { round } from './latency.js';
import { watchProcesses } from './proc-stats.js';
import { runKubeStorm, type KubeStormResult } from './kube-storm.js';
import { settleKubeMemory } from './kube-settle.js';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';

export interface StormPhase {
  run: KubeStormResult;
  /** The apiserver's settled memory before the storm. */
  idleBytes: number;
  kubectlCompleted: number;
  informersSynced: number;
  /** Seconds until the last informer synced, when all did. */
  informersSyncedSeconds: number | undefined;
  /** 429 answers the informers saw (direct: the apiserver's own priority and fairness). */
  informerTooManyRequests: number;
  /** 429 answers the gateway gave (its admission counter over the run); undefined direct. */
  gatewayRejections: number | undefined;
  /** Garbage collections the gateway's adaptive budget asked of the apiserver over the run; undefined direct. */
  gatewayCollections: number | undefined;
  gatewayRss: { startRssBytes: number; peakRssBytes: number; endRssBytes: number; cpuSeconds: number } | undefined;
  gatewaySamples: GatewaySample[] | undefined;
  /** The first estimate of each client kind's LIST in this run (arrival-ordered), from the gateway's lines. */
  firstEstimates: { kubectl: RequestLine | undefined; informer: RequestLine | undefined } | undefined;
  /** Whether the apiserver had to be started again afterwards. */
  restarted: boolean;
}

export interface StormPhaseOptions {
  label: string;
  kube: KubeApiserver;
  dir: string;
  target: Target;
  gateway?: GatewayProcess;
  kubectlClients: number;
  informerClients: number;
  deadlineMs: number;
  settle: { intervalMs: number; maxMs: number };
}

async function isDown(kube: KubeApiserver): Promise<boolean> {
  return Promise.race([kube.exited().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
}

export async function runStormPhase(o: StormPhaseOptions): Promise<StormPhase> {
  const idle = await settleKubeMemory(o.kube, o.settle);
  const before = o.gateway ? await o.gateway.metricsText() : '';
  const rejectionsBefore = sumMetric(before, 'listgate_admission_rejections_total');
  const collectionsBefore = sumMetric(before, 'listgate_admission_upstream_collections_total');
  const startedAt = Date.now();
  const rss = o.gateway ? watchProcesses(() => [o.gateway!.proc.pid], 200) : undefined;
  const sampler = o.gateway ? sampleGateway(() => o.gateway!.metricsText(), 1000) : undefined;
  const run = await runKubeStorm({
    label: o.label,
    kube: o.kube,
    target: o.target,
    dir: o.dir,
    kubectlClients: o.kubectlClients,
    informerClients: o.informerClients,
    path: '/api/v1/secrets',
    deadlineMs: o.deadlineMs,
  });
  const gatewayRss = rss?.stop();
  const gatewaySamples = await sampler?.stop();
  const after = o.gateway ? await o.gateway.metricsText() : undefined;
  const gatewayRejections = after !== undefined ? sumMetric(after, 'listgate_admission_rejections_total') - rejectionsBefore : undefined;
  const gatewayCollections = after !== undefined ? sumMetric(after, 'listgate_admission_upstream_collections_total') - collectionsBefore : undefined;
  let firstEstimates: StormPhase['firstEstimates'];
  if (o.gateway) {
    const lines = (await readRequestLines(o.gateway.proc.logFile)).filter((l) => l.arrivedAt >= startedAt - 50);
    firstEstimates = {
      kubectl: firstEstimate(lines, (l) => l.user?.startsWith('storm-kubectl-') === true),
      informer: firstEstimate(lines, (l) => l.user?.startsWith('system:serviceaccount:default:informer-') === true),
    };
  }
  const restarted = run.oomKills > 0 || (await isDown(o.kube));
  if (restarted) await o.kube.restart();
  const synced = run.informers.filter((i) => i.syncedAtMs !== undefined);
  return {
    run,
    idleBytes: idle.baselineBytes,
    kubectlCompleted: run.kubectl.filter((k) => k.code === 0 && k.bytes > 0).length,
    informersSynced: synced.length,
    informersSyncedSeconds: synced.length === run.informers.length && synced.length > 0 ? Math.max(...synced.map((i) => i.syncedAtMs!)) / 1000 : undefined,
    informerTooManyRequests: run.informers.reduce((sum, i) => sum + i.tooManyRequests, 0),
    gatewayRejections,
    gatewayCollections,
    gatewayRss,
    gatewaySamples,
    firstEstimates,
    restarted,
  };
}

/** The cgroup samples at one per `stepMs` (the highest usage in each step), for the results file. */
export function compactSamples(run: KubeStormResult, stepMs = 1000): Array<{ t: number; usage: number; oomKills: number }> {
  const out: Array<{ t: number; usage: number; oomKills: number }> = [];
  for (const s of run.samples) {
    const last = out[out.length - 1];
    if (last && Math.floor(last.t / stepMs) === Math.floor(s.t / stepMs)) {
      last.usage = Math.max(last.usage, s.usage);
      last.oomKills = s.oomKills;
    } else out.push({ ...s });
  }
  return out;
}

/** What the results file keeps of a phase. */
export function phaseFigures(p: StormPhase): Record<string, unknown> {
  const { run, gatewaySamples, ...rest } = p;
  return {
    ...rest,
    oomKills: run.oomKills,
    peakBytes: run.peakBytes,
    limitBytes: run.limitBytes,
    peakVsLimit: round(run.peakBytes / run.limitBytes),
    clients: run.clients,
    completed: run.completed,
    allCompletedSeconds: run.allCompletedSeconds,
    seconds: run.seconds,
    kubectl: run.kubectl.map((k) => ({ ...k, stderr: k.stderr.slice(-300) })),
    informers: run.informers,
    samples: compactSamples(run),
    gatewaySamples,
  };
}
