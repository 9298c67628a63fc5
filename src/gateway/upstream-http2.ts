/**
 * One HTTP/2 lane to the upstream, as client-go talks to kube-apiserver: requests are streams
 * multiplexed over a few TLS connections. A connection carries at most the streams its server allows
 * (SETTINGS_MAX_CONCURRENT_STREAMS: kube-apiserver 1.32 advertises 100; 100 is assumed until the
 * server's SETTINGS arrive, as Go's transport does), and a new connection is opened when every open
 * one is full, so a lane of 10,000 watches holds 100 connections. At most `limit` streams are in
 * flight in the lane; a request beyond that waits (first in, first out) for `queueTimeoutMs`, then fails
 * with UpstreamSaturatedError (a 429 with Retry-After).
 *
 * Flow control as Go's transport sets it: a large connection window (one stalled reader must not stop
 * the connection's other streams), a per-stream window of STREAM_WINDOW (what the upstream may send
 * ahead of a slow client, per stream). A connection that got a GOAWAY takes no new streams (Node lets
 * its accepted streams finish, then closes it); one that does not answer a PING within PING_TIMEOUT_MS
 * while it carries streams is destroyed, so a vanished peer ends its watches instead of leaving them
 * hanging. Idle connections beyond the first close after IDLE_MS.
 */
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { Http2UpstreamRequest } from './http2-upstream-request.js';
import { UpstreamConnectTimeoutError, UpstreamSaturatedError, type UpstreamLane } from './upstream-failure.js';
import type { LaneStats, UpstreamRequestOptions, UpstreamTransport } from './upstream-request.js';

export interface Http2LaneOptions {
  lane: UpstreamLane;
  /** `https://host:port` */
  origin: string;
  /** The :authority to send (the Host a HTTP/1.1 request would carry). */
  authority: string;
  tls: ConnectionOptions;
  limit: number;
  queueTimeoutMs: number;
  connectTimeoutMs: number;
  onSaturated?: (lane: UpstreamLane) => void;
}

/** Streams assumed allowed on a connection until its server's SETTINGS say. */
export const INITIAL_MAX_STREAMS = 100;
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 2 ** 30;
const PING_INTERVAL_MS = 30_000;
const PING_TIMEOUT_MS = 15_000;
const IDLE_MS = 60_000;

interface Connection {
  session: ClientHttp2Session;
  active: number;
  maxStreams: number;
  /** False once it got a GOAWAY, failed or is closing: no new streams. */
  usable: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

interface Waiting {
  req: Http2UpstreamRequest;
  endStream: boolean;
  timer: NodeJS.Timeout;
}

/** The request's headers for HTTP/2: pseudo-headers, lower-case names, `Host` as `:authority`. */
export function http2RequestHeaders(opts: UpstreamRequestOptions, authority: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': opts.method, ':path': opts.path, ':scheme': 'https', ':authority': authority };
  const raw = opts.headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'host') continue;
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else out[name] = Array.isArray(prior) ? [...prior, value] : [String(prior), value];
  }
  return out;
}

export function createHttp2Lane(opts: Http2LaneOptions): UpstreamTransport {
  const connections: Connection[] = [];
  const queue: Waiting[] = [];
  let inFlight = 0;
  let closed = false;

  const open = (): Connection => {
    const session = connect(opts.origin, {
      ...opts.tls,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      peerMaxConcurrentStreams: INITIAL_MAX_STREAMS,
      maxSessionMemory: 64,
    });
    const conn: Connection = { session, active: 0, maxStreams: INITIAL_MAX_STREAMS, usable: true, idleTimer: undefined };
    connections.push(conn);
    const connectTimer = setTimeout(() => session.destroy(new UpstreamConnectTimeoutError(opts.connectTimeoutMs)), opts.connectTimeoutMs);
    let pingTimer: NodeJS.Timeout | undefined;
    session.once('connect', () => {
      clearTimeout(connectTimer);
      session.setLocalWindowSize(CONNECTION_WINDOW);
      pingTimer = setInterval(() => ping(conn), PING_INTERVAL_MS).unref();
    });
    session.on('remoteSettings', (settings) => {
      conn.maxStreams = Math.max(1, settings.maxConcurrentStreams ?? INITIAL_MAX_STREAMS);
      drain();
    });
    session.on('goaway', () => {
      conn.usable = false;
      drain();
    });
    // Its streams get the error too, each reported to its own request.
    session.on('error', () => (conn.usable = false));
    session.once('close', () => {
      clearTimeout(connectTimer);
      clearInterval(pingTimer);
      clearTimeout(conn.idleTimer);
      conn.usable = false;
      const at = connections.indexOf(conn);
      if (at >= 0) connections.splice(at, 1);
      drain();
    });
    return conn;
  };

  const ping = (conn: Connection): void => {
    if (conn.active === 0 || conn.session.destroyed) return;
    const timer = setTimeout(() => conn.session.destroy(new Error(`the upstream did not answer a PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    const sent = conn.session.ping((err) => {
      clearTimeout(timer);
      // A ping cancelled because the connection is closing (GOAWAY) is no sign of a dead peer.
      if (err && (err as { code?: string }).code !== 'ERR_HTTP2_PING_CANCEL' && !conn.session.destroyed) conn.session.destroy(err);
    });
    if (!sent) clearTimeout(timer);
  };

  const pick = (): Connection => {
    for (const conn of connections) if (conn.usable && conn.active < conn.maxStreams) return conn;
    return open();
  };

  const released = (conn: Connection): void => {
    conn.active -= 1;
    inFlight -= 1;
    if (conn.active === 0 && conn.usable && connections.length > 1) {
      clearTimeout(conn.idleTimer);
      conn.idleTimer = setTimeout(() => {
        if (conn.active === 0 && connections.length > 1) {
          conn.usable = false;
          conn.session.close();
        }
      }, IDLE_MS).unref();
    }
    drain();
  };

  const start = (req: Http2UpstreamRequest, endStream: boolean): void => {
    const conn = pick();
    clearTimeout(conn.idleTimer);
    conn.active += 1;
    inFlight += 1;
    let stream;
    try {
      stream = conn.session.request(req.requestHeaders, { endStream });
    } catch (err) {
      released(conn);
      req.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    stream.once('close', () => released(conn));
    req.attach(stream);
  };

  const drain = (): void => {
    while (queue.length > 0 && inFlight < opts.limit && !closed) {
      const next = queue.shift()!;
      clearTimeout(next.timer);
      if (!next.req.destroyed) start(next.req, next.endStream);
    }
  };

  const begin = (req: Http2UpstreamRequest, endStream: boolean): void => {
    if (closed) return void req.destroy(new Error('the upstream client is closed'));
    if (inFlight < opts.limit && queue.length === 0) return start(req, endStream);
    const waiting: Waiting = {
      req,
      endStream,
      timer: setTimeout(() => {
        const at = queue.indexOf(waiting);
        if (at >= 0) queue.splice(at, 1);
        if (req.destroyed) return;
        opts.onSaturated?.(opts.lane);
        req.destroy(new UpstreamSaturatedError(opts.lane, opts.limit, opts.queueTimeoutMs));
      }, opts.queueTimeoutMs),
    };
    queue.push(waiting);
  };

  return {
    request: (o) => new Http2UpstreamRequest(http2RequestHeaders(o, opts.authority), begin),
    stats(): LaneStats {
      return { lane: opts.lane, protocol: 'http2', inFlight, limit: opts.limit, waiting: queue.length, connections: connections.length };
    },
    close() {
      closed = true;
      for (const waiting of queue.splice(0)) {
        clearTimeout(waiting.timer);
        waiting.req.destroy(new Error('the upstream client is closed'));
      }
      for (const conn of [...connections]) conn.session.destroy();
    },
  };
}
