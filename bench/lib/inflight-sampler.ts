/**
 * Samples the simulator's modeled in-flight LIST memory (`simulator_inflight_response_bytes`) and its OOM
 * kill counter from its /metrics about every 100 ms, and its real RSS from /proc. A scrape that fails
 * (the simulated apiserver was just killed and is not listening yet) records the time with `down: true`
 * and zero in flight: a dead apiserver holds nothing.
 */
import { sampleValue, type SimulatorProcess } from './bench-stack.js';
import { readProcStats } from './proc-stats.js';

export interface InflightSample {
  /** Milliseconds since the sampler started. */
  t: number;
  inflightBytes: number;
  oomKills: number;
  rssBytes: number;
  down: boolean;
}

export interface InflightSampler {
  stop(): Promise<InflightSample[]>;
}

export function startInflightSampler(sim: SimulatorProcess, intervalMs = 100): InflightSampler {
  const samples: InflightSample[] = [];
  const started = performance.now();
  let stopped = false;
  let lastKills = 0;
  const loop = (async () => {
    while (!stopped) {
      const due = performance.now() + intervalMs;
      const rssBytes = readProcStats(sim.proc.pid)?.rssBytes ?? 0;
      try {
        const metrics = await sim.scrape();
        lastKills = sampleValue(metrics, 'simulator_oom_kills_total') ?? lastKills;
        samples.push({ t: performance.now() - started, inflightBytes: sampleValue(metrics, 'simulator_inflight_response_bytes') ?? 0, oomKills: lastKills, rssBytes, down: false });
      } catch {
        samples.push({ t: performance.now() - started, inflightBytes: 0, oomKills: lastKills, rssBytes, down: true });
      }
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}
