/**
 * What the estimator must know about its upstream before it can price a LIST: the version (its factor
 * profile) and where consistent LISTs are served from (consistent-read-path.ts). Asked at start and, until
 * both are known, again with backoff (1 s doubling to 30 s: a gateway that starts while the apiserver is
 * down learns its profile once it is up; an upstream whose metrics do not tell where it serves consistent
 * reads is asked five times, then at the refresh); then again every `refreshMs` (an upgraded apiserver or
 * etcd changes both). Each finding is handed to `apply` as soon as it is known. Time is injected.
 */
import type { Logger } from 'pino';
import { realTimers, type Timers } from '../timers.js';
import { isReadPathMetric, pathFromMetrics, pathFromProbe } from './consistent-read-path.js';
import type { ConsistentReadPath } from './list-serving.js';
import { parseMetricsText } from './prometheus-text.js';
import type { UpstreamFetch } from './upstream-fetch.js';

export const CONSISTENT_PROBE_PATH = '/api/v1/namespaces?fieldSelector=metadata.name%3Ddefault';

export interface UpstreamFindings {
  version?: string;
  consistentReads?: ConsistentReadPath;
}

export interface UpstreamDiscovery {
  /** One round: resolves with what was found (a part may be missing when a read failed). */
  discover(): Promise<UpstreamFindings>;
  start(): void;
  stop(): void;
}

export type DiscoveryTimers = Timers;

export function createUpstreamDiscovery(deps: {
  fetch: UpstreamFetch;
  apply: (found: UpstreamFindings) => void;
  /** Skip asking for the version (the configuration pins it); read at each round. */
  pinnedVersion?: () => boolean;
  /** Whether to find where consistent LISTs are served (it reads the apiserver's /metrics); default true. */
  readPath?: boolean;
  refreshMs?: number;
  timers?: DiscoveryTimers;
  logger?: Logger;
}): UpstreamDiscovery {
  const timers = deps.timers ?? realTimers;
  const refreshMs = deps.refreshMs ?? 10 * 60_000;
  let timer: unknown;
  let running = false;
  let backoffMs = 1_000;
  // An upstream whose metrics never tell (no such counters) is asked again at the refresh, not every 30 s.
  let inconclusive = 0;

  const readVersion = async (): Promise<string | undefined> => {
    const answer = (await deps.fetch.fetchJson('/version')) as { gitVersion?: unknown } | undefined;
    return typeof answer?.gitVersion === 'string' ? answer.gitVersion : undefined;
  };

  const readPath = async (): Promise<ConsistentReadPath> => {
    const before = parseMetricsText(await deps.fetch.fetchText('/metrics'), isReadPathMetric).samples;
    const seen = pathFromMetrics(before);
    if (seen) return seen;
    // A consistent LIST (no resourceVersion, no limit) that answers one small object.
    await deps.fetch.fetchJson(CONSISTENT_PROBE_PATH);
    const after = parseMetricsText(await deps.fetch.fetchText('/metrics'), isReadPathMetric).samples;
    return pathFromProbe(before, after);
  };

  const discover = async (): Promise<UpstreamFindings> => {
    const found: UpstreamFindings = {};
    if (!deps.pinnedVersion?.()) {
      try {
        found.version = await readVersion();
      } catch (err) {
        deps.logger?.warn({ err }, 'estimator: could not read the upstream version; pricing with the oldest profile until it answers');
      }
    }
    if (deps.readPath === false) {
      deps.apply(found);
      return found;
    }
    try {
      found.consistentReads = await readPath();
    } catch (err) {
      deps.logger?.warn({ err }, 'estimator: could not tell where the upstream serves consistent LISTs; pricing them as reads from etcd');
    }
    deps.apply(found);
    return found;
  };

  const schedule = (ms: number): void => {
    timer = timers.set(() => {
      void discover().then((found) => {
        if (!running) return;
        inconclusive = found.consistentReads === undefined ? inconclusive + 1 : 0;
        const pathDone = deps.readPath === false || found.consistentReads !== undefined || inconclusive >= 5;
        const complete = (deps.pinnedVersion?.() || found.version !== undefined) && pathDone;
        backoffMs = complete ? 1_000 : Math.min(30_000, backoffMs * 2);
        schedule(complete ? refreshMs : backoffMs);
      });
    }, ms);
  };

  return {
    discover,
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    stop() {
      running = false;
      if (timer !== undefined) timers.clear(timer);
    },
  };
}
