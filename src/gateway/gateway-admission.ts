/**
 * Admission as the gateway runs it: built once from the config's `admission` section (its budget, leases
 * and queues outlive reloads: a reload resizes them in place), reading the upstream (streaming-list probe,
 * adaptive budget's /metrics) through the gateway's own connection, never the forwarding pool, its metrics
 * in the app's Registry. It hands the pipeline its admit step, /debug/estimate its dry run, the config
 * source its reload listener, and the shutdown sequence the hook that releases what is still leased.
 */
import type { Timers } from '../timers.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createAdmission, type Admission } from '../admit/create-admission.js';
import type { ConfigListener } from '../config/config-source.js';
import { changedPaths } from '../config/diff-config.js';
import type { Config } from '../config/parse-config.js';
import type { Estimator } from '../estimate/create-estimator.js';
import type { UpstreamRequester } from '../estimate/upstream-fetch.js';
import { createAdmitStep, type AdmitStep } from './admit-step.js';
import type { AdmissionDryRun } from './estimate-report.js';

export interface GatewayAdmission {
  admission: Admission;
  admit: AdmitStep;
  /** `listgate estimate` / GET /debug/estimate: what admission would decide now. */
  dryRun: AdmissionDryRun;
  onReload: ConfigListener;
  /** The `leases` shutdown hook: answers what still waits and releases every lease. */
  releaseLeases(): void;
  start(): void;
  close(): void;
}

export function createGatewayAdmission(deps: {
  config: Config;
  registry: Registry;
  logger: Logger;
  upstream: UpstreamRequester;
  /** Prices pages for the pagination hint. */
  estimator?: Pick<Estimator, 'estimate'>;
  clock?: { now(): number; timers: Timers };
}): GatewayAdmission {
  // createAdmission binds `component: admission` on the logger it is given; this file's own lines bind it the same way.
  const logger = deps.logger.child({ component: 'admission' });
  const admission = createAdmission({ settings: deps.config.admission, registry: deps.registry, upstream: deps.upstream, logger: deps.logger, ...(deps.clock ? { now: deps.clock.now, timers: deps.clock.timers } : {}) });
  return {
    admission,
    admit: createAdmitStep({ admission, ...(deps.estimator ? { estimator: deps.estimator } : {}) }),
    dryRun: ({ user, classification, estimate }) => {
      const info = classification.info;
      return admission.dryRun({
        user,
        target: { verb: info.verb, apiGroup: info.apiGroup, resource: info.resource, namespace: info.namespace },
        method: 'GET',
        url: info.path,
        estimate,
      });
    },
    onReload(next, previous) {
      const changed = changedPaths(previous.config.admission, next.config.admission).map((p) => `admission.${p}`);
      if (changed.length === 0) return;
      admission.reconfigure(next.config.admission);
      logger.info({ changed }, 'admission settings applied in place (leases and queued requests kept)');
    },
    releaseLeases() {
      const released = admission.releaseAll();
      logger.info({ released }, 'shutdown: admission released its leases');
    },
    start: () => admission.start(),
    close: () => admission.stop(),
  };
}
