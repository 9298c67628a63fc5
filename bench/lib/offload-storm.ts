/**
 * One run of the LIST storm through a fresh `listgate serve` in front of a real kube-apiserver (kube-
 * storm.ts: kubectl `get --raw` clients and informer-style clients relisting at once), with two witnesses
 * that cannot ride out a 429 listing the same Secrets at the same time (witness-clients.ts: a client-node
 * informer and the Python client). It measures what offload changes: the 429s the gateway answered (all,
 * and each witness's), when every client had synced, the apiserver's peak memory (its cgroup, above what
 * it used idle), the gateway's RSS (above its own idle RSS), and what offload served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import { parseMetricsText } from '../../src/estimate/prometheus-text.js';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import { sampleValue } from './bench-stack.js';
import { startGatewayOnKube } from './kube-gateway.js';
import { runKubeStorm, STORM_KUBECTL_GROUP, type KubeStormResult } from './kube-storm.js';
import { readProcStats, watchProcesses } from './proc-stats.js';
import type { ProcessGroup } from './server-process.js';
import { clientNodeInformer, pythonClient, tooManyRequestsByUser, type WitnessResult } from './witness-clients.js';

export interface OffloadStormOptions {
  label: string;
  kube: KubeApiserver;
  group: ProcessGroup;
  dir: string;
  /** The gateway's `admission` section. */
  admission: Record<string, unknown>;
  kubectlClients: number;
  informerClients: number;
  /** The namespace of the Secrets (the storm lists them cluster-wide, the witnesses in it). */
  namespace: string;
  deadlineMs: number;
  /** Run the two witnesses too (default true). */
  witnesses?: boolean;
}

export interface OffloadStormRun {
  label: string;
  storm: KubeStormResult;
  /** Requests the gateway answered 429 (everyone's). */
  tooManyRequests: number;
  witnesses: Array<WitnessResult & { tooManyRequests: number }>;
  /**
   * The apiserver: its cgroup's usage before the storm and its peak during it (what the OOM killer reads;
   * it counts the page cache too), and the process's RSS before and at its peak (its own memory).
   */
  apiserver: { idleBytes: number; peakBytes: number; limitBytes: number; idleRssBytes: number; peakRssBytes: number };
  gateway: { idleRssBytes: number; peakRssBytes: number; logFile: string; largestPageBytes: number };
  offload: { lists: number; complete: number; broken: number; pieces: number; restarts: number; fallbacks: number };
  /** Seconds until the storm's clients and the witnesses had all synced; undefined unless all did. */
  syncedSeconds: number | undefined;
}

/**
 * Two levels of half the budget each, for the storm's two kinds of client (service accounts: the
 * informers; everyone else: kubectl), the first piece of a LIST that cannot come back later waiting up
 * to two minutes for its turn.
 */
export function stormAdmission(budget: string, o: { offload: 'auto' | 'off'; streamingLists: 'auto' | 'disabled' }): Record<string, unknown> {
  const queue = { length: 64, lengthPerFlow: 8, maxWait: '2m' };
  return {
    budget,
    ...o,
    levels: [
      { name: 'exempt', exempt: true },
      { name: 'workload', share: 0.5, limit: 0.5, queue },
      { name: 'catch-all', share: 0.5, limit: 0.5, queue },
    ],
    flowSchemas: [
      { name: 'exempt', level: 'exempt', subjects: { groups: ['system:masters'] } },
      { name: 'service-accounts', level: 'workload', subjects: { groups: ['system:serviceaccounts'] } },
      { name: 'catch-all', level: 'catch-all' },
    ],
  };
}

/** The largest page an offloaded LIST sent, in bytes (its bytes over its pieces), from a gateway's request log. */
export function largestPage(logFile: string): number {
  let largest = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"offload"')) continue;
    try {
      const r = JSON.parse(line) as { bytes?: number; offload?: { pieces: number; result: string } };
      if (r.offload?.result === 'complete' && r.bytes) largest = Math.max(largest, r.bytes / r.offload.pieces);
    } catch {
      // a line cut by the process's end
    }
  }
  return largest;
}

const WITNESS_NODE = 'system:serviceaccount:default:witness-node';
const WITNESS_PYTHON = 'witness-python';

export async function runOffloadStorm(o: OffloadStormOptions): Promise<OffloadStormRun> {
  const { kube } = o;
  const cgroup = kube.cgroup;
  if (!cgroup) throw new Error('the offload storm needs the apiserver in a memory cgroup');
  const gateway = await startGatewayOnKube(o.group, { dir: o.dir, kube, name: o.label, sections: { admission: o.admission } });
  try {
    const server = `https://127.0.0.1:${gateway.target.port}`;
    const witnessConfig = async (user: string, groups: string[]) => {
      const path = join(o.dir, `${o.label}-${user.replace(/[^a-z0-9-]/gi, '-')}.kubeconfig`);
      await writeKubeconfig(path, { name: user, server, caPem: kube.caPem, user: kube.pki.issueUser(user, groups) });
      return path;
    };
    const nodeConfig = await witnessConfig(WITNESS_NODE, ['system:serviceaccounts', 'system:serviceaccounts:default']);
    const pythonConfig = await witnessConfig(WITNESS_PYTHON, [STORM_KUBECTL_GROUP]);
    const idleBytes = cgroup.usage();
    const idleRssBytes = readProcStats(gateway.proc.pid)?.rssBytes ?? 0;
    const rss = watchProcesses(() => [gateway.proc.pid], 100);
    const idleApiserverRss = readProcStats(kube.pid())?.rssBytes ?? 0;
    const apiserverRss = watchProcesses(() => [kube.pid()], 100);
    const witnessed = (o.witnesses ?? true)
      ? Promise.all([
          clientNodeInformer(nodeConfig, o.namespace).catch((err: unknown) => ({ client: 'client-node' as const, synced: false, items: 0, seconds: 0, error: String(err) })),
          pythonClient(pythonConfig, o.namespace),
        ])
      : Promise.resolve([]);
    const storm = await runKubeStorm({ label: o.label, kube, target: gateway.target, dir: o.dir, kubectlClients: o.kubectlClients, informerClients: o.informerClients, path: '/api/v1/secrets', deadlineMs: o.deadlineMs });
    const witnesses = await witnessed;
    const { peakRssBytes } = rss.stop();
    const apiserverPeakRss = apiserverRss.stop().peakRssBytes;
    const samples = parseMetricsText(await gateway.metricsText()).samples;
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels) ?? 0;
    const sum = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
    const byUser = await tooManyRequestsByUser(gateway.proc.logFile);
    const witnessEnd = witnesses.map((w) => w.seconds);
    const everyone = storm.allCompletedSeconds !== undefined && witnesses.every((w) => w.synced);
    return {
      label: o.label,
      storm,
      tooManyRequests: sum('listgate_requests_total', { code: '429' }),
      witnesses: witnesses.map((w) => ({ ...w, tooManyRequests: byUser.get(w.client === 'python' ? WITNESS_PYTHON : WITNESS_NODE) ?? 0 })),
      apiserver: { idleBytes, peakBytes: storm.peakBytes, limitBytes: cgroup.limitBytes, idleRssBytes: idleApiserverRss, peakRssBytes: apiserverPeakRss },
      gateway: { idleRssBytes, peakRssBytes, logFile: gateway.proc.logFile, largestPageBytes: largestPage(gateway.proc.logFile) },
      offload: {
        lists: sum('listgate_offload_lists_total'),
        complete: sum('listgate_offload_lists_total', { result: 'complete' }),
        broken: sum('listgate_offload_lists_total', { result: 'broken' }),
        pieces: sum('listgate_offload_pieces_total'),
        restarts: value('listgate_offload_restarts_total'),
        fallbacks: value('listgate_offload_fallbacks_total'),
      },
      syncedSeconds: everyone ? Math.max(storm.allCompletedSeconds!, ...witnessEnd) : undefined,
    };
  } finally {
    await gateway.proc.stop();
  }
}
