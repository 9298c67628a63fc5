/**
 * The gateway's admission state over a storm, from its own /metrics (ops port) every `intervalMs`: the
 * effective budget (the adaptive budget lowers it while the upstream is above its ceiling), the bytes
 * leased to requests in flight, the ended leases still counted while the apiserver's garbage waits for
 * its collector, the upstream memory the adaptive budget last read, and the 429s given so far.
 */
import { parseMetricsText } from '../../src/estimate/prometheus-text.js';

export interface GatewaySample {
  /** Milliseconds since sampling started. */
  t: number;
  effectiveBudgetBytes: number;
  inUseBytes: number;
  heldOverBytes: number;
  upstreamMemoryBytes: number;
  rejections: number;
}

/** The sum of a metric's samples in a Prometheus text (0 when absent). */
export function sumMetric(text: string, name: string): number {
  return parseMetricsText(text)
    .samples.filter((s) => s.name === name && Number.isFinite(s.value))
    .reduce((sum, s) => sum + s.value, 0);
}

export function readGatewaySample(text: string, t: number): GatewaySample {
  return {
    t,
    effectiveBudgetBytes: sumMetric(text, 'listgate_admission_effective_budget_bytes'),
    inUseBytes: sumMetric(text, 'listgate_admission_in_use_bytes'),
    heldOverBytes: sumMetric(text, 'listgate_admission_held_over_bytes'),
    upstreamMemoryBytes: sumMetric(text, 'listgate_admission_upstream_memory_bytes'),
    rejections: sumMetric(text, 'listgate_admission_rejections_total'),
  };
}

export interface GatewaySampler {
  stop(): Promise<GatewaySample[]>;
}

export function sampleGateway(metricsText: () => Promise<string>, intervalMs: number): GatewaySampler {
  const started = performance.now();
  const samples: GatewaySample[] = [];
  let busy: Promise<void> | undefined;
  // One scrape at a time: a tick that finds the last one still running is skipped.
  const take = (): Promise<void> =>
    (busy ??= metricsText()
      .then(
        (text) => void samples.push(readGatewaySample(text, Math.round(performance.now() - started))),
        () => undefined,
      )
      .finally(() => (busy = undefined)));
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      await take();
      return samples;
    },
  };
}
