/**
 * k LISTs started together straight at a real kube-apiserver, as its admin (exempt from its priority and
 * fairness): how long until all k have been read (t_k), and what they raised its memory to. The
 * apiserver's memory is settled first; bodies are counted, never kept.
 */
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import { createClientAgent, fetchOnce } from './https-client.js';
import { settleKubeMemory } from './kube-settle.js';

export interface ConcurrentLists {
  paths: string[];
  seconds: number;
  baselineBytes: number;
  peakBytes: number;
  /** Answers other than 200 (or connection errors): the measurement is then not a t_k. */
  failed: number;
  oomKills: number;
}

export async function timeConcurrentLists(kube: KubeApiserver, paths: readonly string[], settle: { intervalMs: number; maxMs: number }): Promise<ConcurrentLists> {
  const cgroup = kube.cgroup!;
  const { baselineBytes } = await settleKubeMemory(kube, settle);
  const agent = createClientAgent({ caPem: kube.caPem, certPem: kube.admin.certPem, keyPem: kube.admin.keyPem }, { maxSockets: paths.length });
  const killsBefore = cgroup.oomKills();
  cgroup.resetPeak();
  const started = performance.now();
  const answers = await Promise.all(
    paths.map((path) => fetchOnce({ target: { name: 'direct', host: '127.0.0.1', port: kube.port }, path, agent, keepBytes: 0 }).then((r) => r.status, () => 0)),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { paths: [...paths], seconds, baselineBytes, peakBytes: cgroup.peak(), failed: answers.filter((s) => s !== 200).length, oomKills: cgroup.oomKills() - killsBefore };
}
