/**
 * The estimator as the gateway runs it: built once from the config's `estimator` section (its learned
 * models outlive reloads), reading the upstream through the census's own connection (census-upstream.ts),
 * its metrics in the app's Registry. `start()` asks the upstream's /version (unless the config pins a
 * version) and starts the census's /metrics scrapes; `close()` stops them and closes the connection.
 * A reload applies new settings in place (Estimator.reconfigure): learned sizes, counts and probes in
 * flight are kept; one that stops pinning the upstream version asks the upstream for it.
 */
import type { Timers } from '../timers.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConfigListener } from '../config/config-source.js';
import { changedPaths } from '../config/diff-config.js';
import type { Config } from '../config/parse-config.js';
import { createEstimator, type Estimator } from '../estimate/create-estimator.js';
import { createCensusUpstream, type CensusUpstream } from './census-upstream.js';

export interface GatewayEstimatorParts {
  estimator: Estimator;
  /** Route the census to the newest upstream client (the request path's builder calls it). */
  censusUpstream: CensusUpstream;
  /** Subscribe to the ConfigSource: applies changed estimator settings in place. */
  onReload: ConfigListener;
  start(): void;
  close(): void;
}

export function createGatewayEstimator(deps: {
  config: Config;
  registry: Registry;
  logger: Logger;
  clock?: { now(): number; timers: Timers };
}): GatewayEstimatorParts {
  const settings = deps.config.estimator;
  const logger = deps.logger.child({ component: 'estimator' });
  const censusUpstream = createCensusUpstream({ sources: settings.census?.sources ?? [] });
  const estimator = createEstimator({ settings, upstream: censusUpstream, registry: deps.registry, now: deps.clock?.now ?? Date.now, ...(deps.clock ? { timers: deps.clock.timers } : {}), logger });
  let started = false;
  return {
    estimator,
    censusUpstream,
    onReload(next, previous) {
      const changed = changedPaths(previous.config.estimator, next.config.estimator).map((p) => `estimator.${p}`);
      if (changed.length === 0) return;
      estimator.reconfigure(next.config.estimator);
      logger.info({ changed }, 'estimator settings applied in place (learned sizes and counts kept)');
      const unpinned = previous.config.estimator.factors?.upstreamVersion !== undefined && next.config.estimator.factors?.upstreamVersion === undefined;
      if (unpinned && started) void estimator.discover();
    },
    start() {
      if (started) return;
      started = true;
      estimator.start();
    },
    close() {
      estimator.stop();
      censusUpstream.close();
    },
  };
}
