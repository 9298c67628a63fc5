/**
 * What both ways of serving an offloaded LIST share (offload-pages.ts, offload-watch.ts): one request
 * upstream at a time, as the caller (its identity headers, the form's Accept, no content coding: the
 * gateway reads what it stitches), cancelled when the client leaves; the stitched response; and the
 * tally the request log and metrics read.
 */
import type { Lease } from '../admit/budget.js';
import type { Offload } from './admit-step.js';
import { filterHeaders } from './raw-headers.js';
import type { HttpExchange, EstimatedContext } from './request-context.js';
import type { StitchedResponse } from './stitched-response.js';
import type { UpstreamClient, UpstreamResponse } from './upstream-client.js';
import type { UpstreamLane } from './upstream-failure.js';
import { buildResponseHeaders } from './upstream-headers.js';

/** How a piece of work ended: the list is complete; the client left; the body was broken off; or a Status (or the upstream's own answer) was sent instead, nothing else having been. */
export type PiecesEnd = 'complete' | 'aborted' | 'broken' | 'answered';

export interface OffloadTally {
  mode: 'pages' | 'watch';
  /** Objects per page. */
  limit: number;
  /** Pages asked for (`pages`), or 1 (`watch`). */
  pieces: number;
  items: number;
  restarts: number;
  /** The streaming list could not serve it and pages did (nothing had been sent). */
  fellBack?: string;
  /** Why the list was broken off or answered with a Status. */
  failure?: string;
}

export interface OffloadRun {
  readonly ctx: EstimatedContext<HttpExchange> & { readonly offload: Offload };
  readonly out: StitchedResponse;
  /** Aborted when the client leaves. */
  readonly signal: AbortSignal;
  readonly tally: OffloadTally;
  /** Sends one GET upstream; resolves with its response, rejects when it fails or the client leaves. */
  request(path: string): Promise<UpstreamResponse>;
  /** The headers the client gets, from a piece's upstream response (length and coding are the gateway's). */
  clientHeaders(upstream: UpstreamResponse): string[];
  /** Counts the list as waiting for a page's lease (+1) and no longer (−1). */
  waiting(delta: 1 | -1): void;
}

const OWN_HEADERS = new Set(['accept', 'accept-encoding']);
const NOT_RELAYED = new Set(['content-length', 'content-encoding']);

/** Upstream headers for the pieces: the request's, its Accept the form's, no Accept-Encoding. */
export function pieceHeaders(upstreamHeaders: readonly string[], accept: string): string[] {
  return [...filterHeaders(upstreamHeaders, (name) => !OWN_HEADERS.has(name)), 'Accept', accept];
}

export function clientHeadersOf(upstream: UpstreamResponse, requestId: string, contentType?: string): string[] {
  const headers = filterHeaders(buildResponseHeaders(upstream.rawHeaders, requestId), (name) => !NOT_RELAYED.has(name) && !(contentType && name === 'content-type'));
  if (contentType) headers.push('Content-Type', contentType);
  return headers;
}

/**
 * One GET upstream in `lane` (a page is a short request; the streaming list holds its slot until the
 * list is complete, as a long-running one); the request is destroyed when `signal` fires.
 */
export function requestPiece(upstream: UpstreamClient, opts: { path: string; headers: string[]; signal: AbortSignal; verb: string; lane: UpstreamLane }): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) return reject(new Error('the client went away'));
    const req = upstream.request({ method: 'GET', path: opts.path, headers: opts.headers, verb: opts.verb, lane: opts.lane });
    const onAbort = () => req.destroy(new Error('the client went away'));
    opts.signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      res.once('close', () => opts.signal.removeEventListener('abort', onAbort));
      resolve(res);
    });
    req.on('error', (err) => {
      opts.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end();
  });
}

/** Reads a small upstream answer (an error Status) whole, at most `max` bytes. */
export async function readSmall(res: UpstreamResponse, max = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > max) {
      res.destroy();
      break;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Releases a lease that may be missing (a piece small enough to pass without one). */
export function releaseLease(lease: Lease | undefined): void {
  lease?.release();
}
