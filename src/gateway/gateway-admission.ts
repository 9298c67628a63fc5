/**
 * Admission as the gateway runs it: built once from the config's `admission` section (its budget, leases
 * and queues outlive reloads: a reload resizes them in place), reading the upstream (streaming-list probe,
 * adaptive budget's /metrics) through the gateway's own connection, never the forwarding pool, its metrics
 * in the app's Registry. It hands the pipeline its admit step, /debug/estimate its dry run, the config
 * source its reload listener, and the shutdown sequence the hook that releases what is still leased.
 * With a shared budget, readiness gets a check that always passes and says how the budget is shared
 * (or that this replica falls back to its own share): a replica without Redis still serves.
 */
import type { Timers } from '../timers.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createAdmission, type Admission } from '../admit/create-admission.js';
import type { CheckResult } from '../ops/readiness.js';
import type { ConfigListener } from '../config/config-source.js';
import type { SharedBudgetFiles } from '../admit/shared/shared-budget-settings.js';
import { changedPaths } from '../config/diff-config.js';
import type { Config } from '../config/parse-config.js';
import type { Estimator } from '../estimate/create-estimator.js';
import type { UpstreamRequester } from '../estimate/upstream-fetch.js';
import { createAdmitStep, type AdmitStep } from './admit-step.js';
import type { AdmissionDryRun } from './estimate-report.js';
import { estimateInputOf } from './estimate-step.js';
import { offloadCandidate } from './offload-query.js';

export interface GatewayAdmission {
  admission: Admission;
  admit: AdmitStep;
  /** `listgate estimate` / GET /debug/estimate: what admission would decide now. */
  dryRun: AdmissionDryRun;
  onReload: ConfigListener;
  /** The `leases` shutdown hook: answers what still waits and releases every lease. */
  releaseLeases(): void;
  /** The shared budget's readiness line, when there is one. */
  sharedBudgetCheck: (() => CheckResult) | undefined;
  start(): void;
  close(): Promise<void>;
}

export function createGatewayAdmission(deps: {
  config: Config;
  registry: Registry;
  logger: Logger;
  upstream: UpstreamRequester;
  /** Prices pages for the pagination hint. */
  estimator?: Pick<Estimator, 'estimate'>;
  clock?: { now(): number; timers: Timers };
  /** What admission.sharedBudget names (password, certificates). */
  sharedBudgetFiles?: SharedBudgetFiles;
}): GatewayAdmission {
  // createAdmission binds `component: admission` on the logger it is given; this file's own lines bind it the same way.
  const logger = deps.logger.child({ component: 'admission' });
  const admission = createAdmission({
    settings: deps.config.admission,
    registry: deps.registry,
    upstream: deps.upstream,
    logger: deps.logger,
    ...(deps.clock ? { now: deps.clock.now, timers: deps.clock.timers } : {}),
    ...(deps.sharedBudgetFiles ? { sharedBudgetFiles: deps.sharedBudgetFiles } : {}),
  });
  const shared = admission.shared;
  return {
    admission,
    admit: createAdmitStep({ admission, ...(deps.estimator ? { estimator: deps.estimator } : {}) }),
    dryRun: ({ user, classification, estimate, accept }) => {
      const info = classification.info;
      const input = estimateInputOf(classification, accept === undefined ? {} : { accept });
      const candidate = deps.estimator && estimate.class === 'list' ? offloadCandidate(classification, input, accept, deps.estimator) : undefined;
      return admission.dryRun({
        user,
        target: { verb: info.verb, apiGroup: info.apiGroup, resource: info.resource, namespace: info.namespace },
        method: 'GET',
        url: info.path,
        estimate,
        ...(candidate ? { offload: candidate.query } : {}),
      });
    },
    onReload(next, previous) {
      const changed = changedPaths(previous.config.admission, next.config.admission).map((p) => `admission.${p}`);
      if (changed.length === 0) return;
      admission.reconfigure(next.config.admission);
      logger.info({ changed }, 'admission settings applied in place (leases and queued requests kept)');
      const sharing = changed.filter((p) => p.startsWith('admission.sharedBudget'));
      if (sharing.length > 0) logger.warn({ changed: sharing }, 'admission.sharedBudget changes apply when the gateway restarts (its Redis connections and leases are kept until then)');
    },
    releaseLeases() {
      const released = admission.releaseAll();
      logger.info({ released }, 'shutdown: admission released its leases');
    },
    sharedBudgetCheck: shared ? () => ({ ok: true, detail: 'ok', note: shared.describe() }) : undefined,
    start: () => admission.start(),
    close: () => admission.stop(),
  };
}
