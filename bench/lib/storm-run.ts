/**
 * One storm: N informer-style clients start at once against a target (the simulator, or the gateway in
 * front of it) and run until every one has completed its first LIST (synced) or the deadline passes,
 * while the simulator's in-flight memory is sampled. A short tail after the last sync shows the memory
 * falling back. Each client has its own identity and connection pool.
 */
import type { SimulatorProcess } from './bench-stack.js';
import { createClientAgent, type ClientIdentity, type Target } from './https-client.js';
import { startInflightSampler, type InflightSample } from './inflight-sampler.js';
import { abortableSleep, startInformer, type InformerStats } from './informer.js';

export interface StormRunOptions {
  label: string;
  target: Target;
  /** The target of each client (several gateway replicas); `target` for all when absent. */
  targetFor?: (client: number) => Target;
  sim: SimulatorProcess;
  identities: readonly ClientIdentity[];
  path: string;
  deadlineMs: number;
  tailMs: number;
}

export interface StormRunResult {
  label: string;
  clients: number;
  synced: number;
  /** Seconds from the start until the last client synced; undefined unless all did. */
  allSyncedSeconds: number | undefined;
  /** Sampled (about every 100 ms). */
  samples: InflightSample[];
  /** Highest in-flight bytes the simulator recorded itself (its peak gauge), not only the sampled one. */
  peakInflightBytes: number;
  oomKills: number;
  totals: Omit<InformerStats, 'id' | 'syncedAtMs'>;
  informers: InformerStats[];
  seconds: number;
}

export async function runStorm(opts: StormRunOptions): Promise<StormRunResult> {
  const before = await opts.sim.scrape();
  const killsBefore = before.find((s) => s.name === 'simulator_oom_kills_total')?.value ?? 0;
  const sampler = startInflightSampler(opts.sim, 100);
  const started = performance.now();
  const agents = opts.identities.map((id) => createClientAgent(id, { maxSockets: 2 }));
  const informers = agents.map((agent, id) => startInformer({ id, target: opts.targetFor?.(id) ?? opts.target, agent, path: opts.path, sleep: abortableSleep }));
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, opts.deadlineMs).unref());
  await Promise.race([Promise.all(informers.map((i) => i.synced)), deadline]);
  const allSynced = informers.every((i) => i.stats.syncedAtMs !== undefined);
  if (allSynced) await new Promise((r) => setTimeout(r, opts.tailMs));
  await Promise.all(informers.map((i) => i.stop()));
  for (const a of agents) a.destroy();
  const seconds = (performance.now() - started) / 1000;
  const samples = await sampler.stop();
  const after = await scrapeWhenUp(opts.sim);
  const stats = informers.map((i) => ({ ...i.stats }));
  const sum = (k: keyof Omit<InformerStats, 'id' | 'syncedAtMs'>): number => stats.reduce((a, s) => a + s[k], 0);
  return {
    label: opts.label,
    clients: stats.length,
    synced: stats.filter((s) => s.syncedAtMs !== undefined).length,
    allSyncedSeconds: allSynced ? Math.max(...stats.map((s) => s.syncedAtMs!)) / 1000 : undefined,
    samples,
    peakInflightBytes: after.find((s) => s.name === 'simulator_peak_inflight_response_bytes')?.value ?? Math.max(...samples.map((s) => s.inflightBytes)),
    oomKills: (after.find((s) => s.name === 'simulator_oom_kills_total')?.value ?? killsBefore) - killsBefore,
    totals: {
      listRequests: sum('listRequests'),
      listsCompleted: sum('listsCompleted'),
      tooManyRequests: sum('tooManyRequests'),
      retries: sum('retries'),
      backoffs: sum('backoffs'),
      connectionErrors: sum('connectionErrors'),
      watchesStarted: sum('watchesStarted'),
      bytesReceived: sum('bytesReceived'),
    },
    informers: stats,
    seconds,
  };
}

/** The simulator may be between an OOM kill and its restart (1 s): try for a few seconds. */
async function scrapeWhenUp(sim: SimulatorProcess): ReturnType<SimulatorProcess['scrape']> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sim.scrape();
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
