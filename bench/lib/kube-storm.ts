/**
 * A LIST storm against a real kube-apiserver (directly or through a gateway in front of it): `kubectl`
 * clients (`get --raw PATH`, which retries a 429 by its Retry-After up to 10 times) and informer-style
 * clients (informer.ts: LIST with resourceVersion=0, then WATCH) start at once and run until every one
 * has completed, the deadline passes, or the apiserver is OOM-killed. The apiserver's memory cgroup is
 * sampled all along. Bodies are counted as they pass, never kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import { createClientAgent, type ClientIdentity, type Target } from './https-client.js';
import { abortableSleep, startInformer, type InformerStats } from './informer.js';

export const STORM_KUBECTL_GROUP = 'storm-clients';

export interface KubeStormOptions {
  label: string;
  kube: KubeApiserver;
  /** Where the clients connect: the apiserver itself or a gateway (its serving cert from the cluster CA). */
  target: Target;
  dir: string;
  kubectlClients: number;
  informerClients: number;
  path: string;
  deadlineMs: number;
  sampleEveryMs?: number;
}

export interface MemorySample {
  /** Milliseconds since the storm started. */
  t: number;
  /** The cgroup's charged bytes. */
  usage: number;
  oomKills: number;
}

export interface KubectlOutcome {
  id: number;
  code: number | null;
  bytes: number;
  seconds: number;
  stderr: string;
}

export interface KubeStormResult {
  label: string;
  clients: number;
  /** kubectl clients that exited 0 with a body, plus informers that synced. */
  completed: number;
  kubectl: KubectlOutcome[];
  informers: InformerStats[];
  /** Seconds from the start until the last client completed; undefined unless all did. */
  allCompletedSeconds: number | undefined;
  oomKills: number;
  peakBytes: number;
  limitBytes: number;
  samples: MemorySample[];
  seconds: number;
}

function runKubectl(id: number, kubeconfig: string, home: string, path: string, started: number): { child: ChildProcess; done: Promise<KubectlOutcome> } {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', path], { env: { ...process.env, HOME: home, KUBECACHEDIR: join(home, 'cache') } });
  let bytes = 0;
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (bytes += d.length));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const done = new Promise<KubectlOutcome>((resolve) =>
    child.once('close', (code) => resolve({ id, code, bytes, seconds: (performance.now() - started) / 1000, stderr: stderr.trim() })),
  );
  return { child, done };
}

/** Client certificates for the storm: kubectl users (group storm-clients) and service accounts. */
export function stormIdentities(kube: KubeApiserver, opts: { kubectl: number; informers: number }) {
  const ca = kube.pki.clusterCa.certPem;
  return {
    kubectl: Array.from({ length: opts.kubectl }, (_, i) => kube.pki.issueUser(`storm-kubectl-${i}`, [STORM_KUBECTL_GROUP])),
    informers: Array.from({ length: opts.informers }, (_, i): ClientIdentity => {
      const pair = kube.pki.issueUser(`system:serviceaccount:default:informer-${i}`, ['system:serviceaccounts', 'system:serviceaccounts:default']);
      return { caPem: ca, certPem: pair.certPem, keyPem: pair.keyPem };
    }),
  };
}

export async function runKubeStorm(opts: KubeStormOptions): Promise<KubeStormResult> {
  const { kube } = opts;
  const cgroup = kube.cgroup;
  if (!cgroup) throw new Error('a storm needs the apiserver in a memory cgroup (startKubeApiserver({ memoryLimitBytes }))');
  const ids = stormIdentities(kube, { kubectl: opts.kubectlClients, informers: opts.informerClients });
  const server = `https://${opts.target.host}:${opts.target.port}`;
  const kubeconfigs = await Promise.all(
    ids.kubectl.map(async (pair, i) => {
      const path = join(opts.dir, `${opts.label}-kubectl-${i}.kubeconfig`);
      await writeKubeconfig(path, { name: `storm-${i}`, server, caPem: kube.caPem, user: pair });
      return path;
    }),
  );
  const killsBefore = cgroup.oomKills();
  cgroup.resetPeak();
  const started = performance.now();
  const samples: MemorySample[] = [];
  const sample = () => samples.push({ t: Math.round(performance.now() - started), usage: cgroup.usage(), oomKills: cgroup.oomKills() - killsBefore });
  sample();
  const sampler = setInterval(sample, opts.sampleEveryMs ?? 250);
  const killed = new Promise<'oom'>((resolve) => {
    const check = setInterval(() => {
      if (cgroup.oomKills() > killsBefore) {
        clearInterval(check);
        resolve('oom');
      }
    }, 100);
    check.unref();
    void kube.exited().then(() => {
      clearInterval(check);
      resolve('oom');
    });
  });

  const kubectls = kubeconfigs.map((k, i) => runKubectl(i, k, opts.dir, opts.path, started));
  const agents = ids.informers.map((id) => createClientAgent(id, { maxSockets: 2 }));
  const informers = agents.map((agent, id) => startInformer({ id, target: opts.target, agent, path: opts.path, sleep: abortableSleep }));
  const everyone = Promise.all([...kubectls.map((k) => k.done), ...informers.map((i) => i.synced)]);
  const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), opts.deadlineMs).unref());
  await Promise.race([everyone, killed, deadline]);
  for (const k of kubectls) k.child.kill('SIGKILL');
  const kubectl = await Promise.all(kubectls.map((k) => k.done));
  await Promise.all(informers.map((i) => i.stop()));
  for (const a of agents) a.destroy();
  clearInterval(sampler);
  sample();
  const informerStats = informers.map((i) => ({ ...i.stats }));
  const kubectlDone = kubectl.filter((k) => k.code === 0 && k.bytes > 0);
  const completed = kubectlDone.length + informerStats.filter((s) => s.syncedAtMs !== undefined).length;
  const clients = opts.kubectlClients + opts.informerClients;
  const finishTimes = [...kubectlDone.map((k) => k.seconds), ...informerStats.flatMap((s) => (s.syncedAtMs === undefined ? [] : [s.syncedAtMs / 1000]))];
  return {
    label: opts.label,
    clients,
    completed,
    kubectl,
    informers: informerStats,
    allCompletedSeconds: completed === clients ? Math.max(...finishTimes) : undefined,
    oomKills: cgroup.oomKills() - killsBefore,
    peakBytes: cgroup.peak(),
    limitBytes: cgroup.limitBytes,
    samples,
    seconds: (performance.now() - started) / 1000,
  };
}
