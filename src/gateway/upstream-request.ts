/**
 * What one request to the upstream looks like to its caller, whatever the protocol under it: a writable
 * request body that emits `response` with a readable response (status, headers in both forms, the
 * body), `error` when no response can come, and `close` once the exchange is over. Node's ClientRequest
 * (HTTP/1.1) is one; http2-upstream-request.ts makes an HTTP/2 stream into one. An upgrade (HTTP/1.1
 * only) emits `upgrade` with the switched socket instead of `response`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { RawHeaders } from './raw-headers.js';
import type { UpstreamLane } from './upstream-failure.js';

export type { UpstreamLane } from './upstream-failure.js';

export interface UpstreamResponse extends Readable {
  readonly statusCode?: number | undefined;
  /** HTTP/1.1's reason phrase; empty over HTTP/2, which has none. */
  readonly statusMessage?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** `[name, value, …]` as received (HTTP/2 pseudo-headers left out). */
  readonly rawHeaders: string[];
  /** At its end: whether the whole response arrived (false: reset, or the connection was lost). */
  readonly complete?: boolean;
}

type ResponseListener = (res: UpstreamResponse) => void;
type UpgradeListener = (res: UpstreamResponse, socket: Duplex, head: Buffer) => void;
type ErrorListener = (err: Error) => void;
type PlainListener = () => void;

export interface UpstreamRequest extends Writable {
  on(event: 'response', listener: ResponseListener): this;
  on(event: 'upgrade', listener: UpgradeListener): this;
  on(event: 'error', listener: ErrorListener): this;
  on(event: 'close' | 'finish', listener: PlainListener): this;
  on(event: string | symbol, listener: (...args: never[]) => void): this;
  once(event: 'response', listener: ResponseListener): this;
  once(event: 'upgrade', listener: UpgradeListener): this;
  once(event: 'error', listener: ErrorListener): this;
  once(event: 'close' | 'finish', listener: PlainListener): this;
  once(event: string | symbol, listener: (...args: never[]) => void): this;
}

export interface UpstreamRequestOptions {
  method: string;
  /** Request target: path and query as the client sent them. */
  path: string;
  headers: RawHeaders;
  /** The Kubernetes verb, when the caller has classified the request already (for metrics). */
  verb?: string;
  /**
   * Which capacity the request takes: `short` (the default: GETs, LISTs, writes, discovery, and a
   * gateway-internal read such as a LIST page), `long` (watches, streaming lists, logs: they hold their
   * slot for minutes), or `upgrade` (exec, attach, port-forward: a long-running HTTP/1.1 connection).
   */
  lane?: UpstreamLane | 'upgrade';
}

/** One lane's capacity right now, for metrics and readiness. */
export interface LaneStats {
  readonly lane: UpstreamLane;
  readonly protocol: 'http1.1' | 'http2';
  /** Requests in flight, and how many may be. */
  readonly inFlight: number;
  readonly limit: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
  /** Connections open to the upstream. */
  readonly connections: number;
}

/** A way to the upstream for one kind of request on one protocol. */
export interface UpstreamTransport {
  request(opts: UpstreamRequestOptions): UpstreamRequest;
  stats(): LaneStats;
  close(): void;
}
