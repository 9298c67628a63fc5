/**
 * Offload's Prometheus metrics (an injected Registry): how many LISTs were served in pieces, by mode
 * (`pages`, `watch`) and result (`complete`, `answered`: a Status or the apiserver's own error instead,
 * nothing else sent; `aborted`: the client left; `broken`: the body was broken off), the pieces asked
 * upstream, the restarts from a first page, streaming lists that gave way to pages, and the offloaded
 * LISTs waiting for a page's lease now.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OffloadTally, PiecesEnd } from './offload-run.js';

/** What the request log shows of an offloaded LIST. */
export type OffloadOutcome = OffloadTally & { readonly result: PiecesEnd };

export interface OffloadMetrics {
  observe(tally: OffloadTally, result: PiecesEnd): void;
  /** One piece (a page, a streaming list) asked upstream, counted as it is asked. */
  asked(mode: OffloadTally['mode']): void;
  /** One more (+1) or one fewer (−1) offloaded LIST waiting for its next page's lease. */
  waiting(delta: 1 | -1): void;
}

export function createOffloadMetrics(registry: Registry): OffloadMetrics {
  const registers = [registry];
  const lists = new Counter({
    name: 'listgate_offload_lists_total',
    help: 'LISTs served by the gateway in pieces instead of rejected, by mode (pages, watch) and result (complete, answered, aborted, broken).',
    labelNames: ['mode', 'result'] as const,
    registers,
  });
  const pieces = new Counter({
    name: 'listgate_offload_pieces_total',
    help: 'Upstream requests made for offloaded LISTs (pages, or streaming lists), by mode.',
    labelNames: ['mode'] as const,
    registers,
  });
  const restarts = new Counter({ name: 'listgate_offload_restarts_total', help: 'Offloaded LISTs started over from their first page (a later page failed before anything was sent).', registers });
  const fallbacks = new Counter({ name: 'listgate_offload_fallbacks_total', help: 'Streaming lists of offloaded LISTs that failed before anything was sent and gave way to pages.', registers });
  const waiting = new Gauge({ name: 'listgate_offload_waiting_lists', help: "Offloaded LISTs waiting for their next page's lease (the level is full: its queue, or a later attempt).", registers });
  return {
    waiting: (delta) => waiting.inc(delta),
    asked: (mode) => pieces.inc({ mode }),
    observe(tally, result) {
      lists.inc({ mode: tally.mode, result });
      if (tally.restarts > 0) restarts.inc(tally.restarts);
      if (tally.fellBack !== undefined) fallbacks.inc();
    },
  };
}
