/**
 * The upstream lanes' capacity (src/gateway/upstream-client.ts) as metrics and as a readiness reason.
 * Gauges are read from the lanes when Prometheus scrapes (nothing is done per request); the counter of
 * requests refused for saturation is counted as they are refused. Readiness fails while a lane is
 * saturated: requests are waiting for a slot, every long-running slot is taken, or a request was
 * refused within the last `recentMs` — so a load balancer sends the next clients to another replica,
 * and `/readyz?verbose` names the lane, its slots and the setting that sizes it.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { UpstreamLane } from '../gateway/upstream-failure.js';
import type { LaneStats } from '../gateway/upstream-request.js';
import type { CheckResult } from './readiness.js';

export interface UpstreamCapacity {
  /** Counts one request refused because its lane stayed full. */
  saturated(lane: UpstreamLane): void;
  /** Where the lanes are read from: the upstream client that forwards requests now. */
  readFrom(lanes: () => readonly LaneStats[]): void;
  /** The readiness check `upstream-capacity`. */
  check(): CheckResult;
}

const SETTING: Record<UpstreamLane, string> = { short: 'upstream.maxSockets', long: 'upstream.maxLongRunning' };

export function createUpstreamCapacity(deps: {
  registry: Registry;
  now?: () => number;
  recentMs?: number;
}): UpstreamCapacity {
  const now = deps.now ?? (() => performance.now());
  const recentMs = deps.recentMs ?? 10_000;
  const lastRefused = new Map<UpstreamLane, number>();
  let lanes: () => readonly LaneStats[] = () => [];
  const gauge = (name: string, help: string, read: (s: LaneStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['lane', 'protocol'] as const,
      registers: [deps.registry],
      collect() {
        this.reset();
        for (const s of lanes()) this.inc({ lane: s.lane, protocol: s.protocol }, read(s));
      },
    });
  gauge('listgate_upstream_requests_in_flight', 'Requests in flight to the upstream apiserver, by lane (short, or long-running) and protocol.', (s) => s.inFlight);
  gauge('listgate_upstream_request_slots', 'Requests a lane may have in flight upstream at once (upstream.maxSockets, upstream.maxLongRunning).', (s) => s.limit);
  gauge('listgate_upstream_requests_waiting', 'Requests waiting for a free slot in their lane (at most upstream.queueTimeout, then 429).', (s) => s.waiting);
  gauge('listgate_upstream_connections', 'Connections open to the upstream apiserver, by lane and protocol.', (s) => s.connections);
  const refused = new Counter({
    name: 'listgate_upstream_saturated_total',
    help: 'Requests answered 429 because their lane of upstream capacity stayed full for upstream.queueTimeout.',
    labelNames: ['lane'] as const,
    registers: [deps.registry],
  });

  return {
    readFrom(source) {
      lanes = source;
    },
    saturated(lane) {
      refused.inc({ lane });
      lastRefused.set(lane, now());
    },
    check() {
      const problems: string[] = [];
      for (const s of lanes()) {
        const name = s.lane === 'short' ? 'short requests' : 'long-running requests';
        const refusedAt = lastRefused.get(s.lane);
        const recent = refusedAt !== undefined && now() - refusedAt < recentMs;
        const full = s.waiting > 0 || (s.lane === 'long' && s.inFlight >= s.limit);
        if (full || recent) {
          problems.push(
            `${name} saturated (${s.protocol}): ${s.inFlight} of ${s.limit} slots in flight, ${s.waiting} waiting` +
              `${recent ? ', requests refused with 429 recently' : ''}; raise ${SETTING[s.lane]}`,
          );
        }
      }
      return problems.length > 0 ? { ok: false, detail: problems.join('; ') } : { ok: true, detail: 'upstream lanes have free slots' };
    },
  };
}
