/**
 * The gateway's way to the upstream apiserver: TLS with the configured CA and the gateway's client
 * certificate, in two lanes that never share capacity, so long-running requests cannot starve short ones:
 * - `short` (GETs, LISTs, writes, discovery): `upstream.maxSockets` requests in flight at once;
 * - `long` (watches, streaming lists, logs): `upstream.maxLongRunning` at once;
 * each with a bounded wait (`upstream.queueTimeout`) that ends in a 429 with Retry-After, never a hang.
 * Over HTTP/2 (`upstream.protocol`: `auto` asks the server by ALPN; requests made meanwhile wait for its
 * answer, at most the connect timeout, and a failed question means HTTP/1.1 until it is asked again)
 * each lane multiplexes its streams over as many connections as the server's stream limit requires;
 * over HTTP/1.1 each lane is a keep-alive pool of its own. Upgrades (exec, attach, port-forward) always
 * go over HTTP/1.1, the only protocol with `Upgrade`, and count in the long lane while they switch.
 *
 * `request()` is also the way for the gateway's own reads (census probes, a LIST's pages): a plain
 * `{ method: 'GET', path, headers }` in the `short` lane; see upstream-request.ts for what it returns.
 */
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { UpstreamConfig } from '../config/parse-config.js';
import type { TlsFiles } from '../config/read-tls-files.js';
import type { UpstreamLane } from './upstream-failure.js';
import { createHttp1Lane } from './upstream-http1.js';
import { createHttp2Lane } from './upstream-http2.js';
import { negotiateProtocol } from './upstream-protocol.js';
import type { LaneStats, UpstreamRequest, UpstreamRequestOptions, UpstreamTransport } from './upstream-request.js';
import { WaitingRequest } from './waiting-request.js';

export type { UpstreamRequest, UpstreamRequestOptions, UpstreamResponse, LaneStats } from './upstream-request.js';

export interface UpstreamClient {
  readonly server: string;
  readonly connectTimeoutMs: number;
  /** The `host[:port]` to send as Host. */
  readonly hostHeader: string;
  /** The gateway's bearer token for the upstream, when it authenticates with one. */
  readonly token: string | undefined;
  /** One request, in the lane `opts.lane` says (default `short`). */
  request(opts: UpstreamRequestOptions): UpstreamRequest;
  /** The protocol new requests use now (`auto` starts on HTTP/1.1 until the server has answered). */
  readonly protocol: 'http1.1' | 'http2';
  /** Each lane's capacity right now. */
  stats(): LaneStats[];
  close(): void;
}

export interface UpstreamClientDeps {
  upstream: UpstreamConfig;
  files: TlsFiles['upstream'];
  /** Called for each request refused because its lane stayed full for the queue timeout. */
  onSaturated?: (lane: UpstreamLane) => void;
}

/** How long after a failed ALPN question `auto` asks again (on the next request). */
const ASK_AGAIN_MS = 10_000;

export function createUpstreamClient(deps: UpstreamClientDeps): UpstreamClient {
  const { upstream, files } = deps;
  const tls: ConnectionOptions = {
    // One secure context rather than the PEMs themselves: the agent names its pools by the options it
    // is given, PEMs included, and would build and hash that name (kilobytes) on every request.
    secureContext: createSecureContext({
      ...(files.ca === undefined ? {} : { ca: files.ca }),
      ...(files.cert === undefined ? {} : { cert: files.cert, key: files.key }),
    }),
    // SNI carries host names only (RFC 6066); an IP is verified against the certificate's IP SANs.
    ...(isIP(upstream.host) === 0 ? { servername: upstream.host } : {}),
  };
  const hostName = isIP(upstream.host) === 6 ? `[${upstream.host}]` : upstream.host;
  const hostHeader = upstream.port === 443 ? hostName : `${hostName}:${upstream.port}`;
  const common = { tls, queueTimeoutMs: upstream.queueTimeoutMs, connectTimeoutMs: upstream.connectTimeoutMs, ...(deps.onSaturated ? { onSaturated: deps.onSaturated } : {}) };
  const limits: Record<UpstreamLane, number> = { short: upstream.maxSockets, long: upstream.maxLongRunning };

  const http1: Record<UpstreamLane, UpstreamTransport> = {
    short: createHttp1Lane({ ...common, lane: 'short', host: upstream.host, port: upstream.port, limit: limits.short }),
    long: createHttp1Lane({ ...common, lane: 'long', host: upstream.host, port: upstream.port, limit: limits.long }),
  };
  let http2: Record<UpstreamLane, UpstreamTransport> | undefined;
  const useHttp2 = (): void => {
    const lane = (name: UpstreamLane) => createHttp2Lane({ ...common, lane: name, origin: upstream.server, authority: hostHeader, limit: limits[name] });
    http2 ??= { short: lane('short'), long: lane('long') };
  };

  const lanes = (): Record<UpstreamLane, UpstreamTransport> => http2 ?? http1;
  const route = (opts: UpstreamRequestOptions): UpstreamRequest =>
    opts.lane === 'upgrade' ? http1.long.request(opts) : lanes()[opts.lane ?? 'short'].request(opts);

  let closed = false;
  let askedAt: number | undefined;
  /** Requests made while the protocol is being asked: they go out once it is known (or the question failed). */
  let waiting: Array<{ req: WaitingRequest; opts: UpstreamRequestOptions }> | undefined;
  const abandon = (req: WaitingRequest): void => {
    const at = waiting?.findIndex((w) => w.req === req) ?? -1;
    if (at >= 0) waiting!.splice(at, 1);
  };
  const ask = (): void => {
    askedAt = performance.now();
    waiting = [];
    void negotiateProtocol({ host: upstream.host, port: upstream.port, tls, timeoutMs: upstream.connectTimeoutMs }).then((selected) => {
      if (selected === 'h2' && !closed) useHttp2();
      if (selected !== undefined) askedAt = Number.POSITIVE_INFINITY;
      const ready = waiting ?? [];
      waiting = undefined;
      for (const { req, opts } of ready) if (!req.destroyed) req.attach(route(opts));
    });
  };
  if (upstream.protocol === 'http2') useHttp2();
  else if (upstream.protocol === 'auto') ask();

  return {
    server: upstream.server,
    connectTimeoutMs: upstream.connectTimeoutMs,
    hostHeader,
    token: files.token,
    get protocol() {
      return http2 ? 'http2' : 'http1.1';
    },
    request(opts) {
      if (opts.lane !== 'upgrade' && !http2 && !waiting && askedAt !== undefined && performance.now() - askedAt > ASK_AGAIN_MS) ask();
      if (!waiting || opts.lane === 'upgrade') return route(opts);
      const req = new WaitingRequest(abandon);
      waiting.push({ req, opts });
      return req;
    },
    stats() {
      const current = lanes();
      const out = [current.short.stats(), current.long.stats()];
      // Upgrades and requests made before the protocol was known may still be on HTTP/1.1.
      if (http2) for (const lane of [http1.short, http1.long]) if (lane.stats().inFlight > 0 || lane.stats().connections > 0) out.push(lane.stats());
      return out;
    },
    close() {
      closed = true;
      for (const { req } of waiting?.splice(0) ?? []) req.destroy(new Error('the upstream client is closed'));
      for (const lane of [http1.short, http1.long, ...(http2 ? [http2.short, http2.long] : [])]) lane.close();
    },
  };
}
