/**
 * Metrics of configuration reloads, in the shape Prometheus itself uses for its own config
 * (`prometheus_config_last_reload_successful`): a counter by result, whether the last attempt worked, and
 * when a configuration was last loaded successfully (the start counts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ReloadMetrics {
  /** A configuration was loaded and applied; `at` in milliseconds since the epoch. */
  succeeded(at: number, opts?: { initial?: boolean }): void;
  failed(): void;
}

export function createReloadMetrics(registry: Registry): ReloadMetrics {
  const reloads = new Counter({
    name: 'listgate_config_reloads_total',
    help: 'Configuration reload attempts after a change on disk, by result (success: applied; failure: refused, the last good configuration stays).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const lastSuccessful = new Gauge({
    name: 'listgate_config_last_reload_successful',
    help: 'Whether the last configuration load succeeded (1) or was refused (0).',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'listgate_config_last_reload_success_timestamp_seconds',
    help: 'When a configuration was last loaded successfully (at start or on reload), in seconds since the Unix epoch.',
    registers: [registry],
  });
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  return {
    succeeded(at, opts = {}) {
      if (!opts.initial) reloads.inc({ result: 'success' });
      lastSuccessful.set(1);
      lastSuccess.set(at / 1000);
    },
    failed() {
      reloads.inc({ result: 'failure' });
      lastSuccessful.set(0);
    },
  };
}
