/**
 * The gateway's HTTPS listener. Node's server timeouts are set for a proxy of long-lived requests:
 * - requestTimeout 0: Node's default (300 s) would cut a slow upload or a long exec session;
 * - headersTimeout stays bounded (slow-loris protection while the request head arrives); Node enforces it
 *   when it checks its connections (every 30 s by default, so a slow client got up to 30 s more): the
 *   check runs every tenth of the timeout (100 ms to 1 s), which makes the bound the configured one;
 *   a client cut off gets a 408 Status (client-error.ts);
 * - keepAliveTimeout longer than the typical client idle reuse, so kubectl's pooled connections are not
 *   closed under it; it only applies between requests, never during a watch;
 * - no socket timeout (`timeout` 0), so a quiet watch is never closed for inactivity; TCP keepalive
 *   instead notices peers that vanished, and keeps idle watches alive through NAT and load balancers.
 * With client CAs, the handshake asks for a certificate without requiring one (token callers still
 * connect) and accepts any: the authenticate step verifies it, so a bad one gets a 401 Status, not a TLS alert.
 *
 * With `http2`, the listener offers HTTP/2 beside HTTP/1.1 by ALPN (`h2`, `http/1.1`), as kube-apiserver
 * does: kubectl and client-go then keep one multiplexed connection, at most `maxConcurrentStreams`
 * streams at a time. Both protocols go through the same pipeline (http2-request.ts); upgrades (exec,
 * attach, port-forward) come over HTTP/1.1, which client-go uses for them. The timeouts above apply to
 * HTTP/1.1 connections; an HTTP/2 connection has none, as its streams may be watches.
 * `closeAllConnections` and `closeIdleConnections` cover both kinds of connection, and
 * `goAway` asks HTTP/2 clients to take their next requests elsewhere (GOAWAY) while streams finish.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpServer } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { createServer } from 'node:https';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { TlsFiles } from '../config/read-tls-files.js';
import { answerClientError } from './client-error.js';
import { asPipelineRequest } from './http2-request.js';
import type { Pipeline } from './pipeline.js';

/** How often Node looks for connections past headersTimeout: a tenth of it, between 100 ms and 1 s. */
export function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(1_000, Math.max(100, Math.floor(headersTimeoutMs / 10)));
}

/** The gateway's listener, HTTP/1.1 only or HTTP/2 beside it. */
export interface GatewayServer extends TlsServer {
  /** Node's HTTP/1.1 server timeouts, as set above (0: none). */
  readonly requestTimeout: number;
  readonly headersTimeout: number;
  readonly keepAliveTimeout: number;
  readonly timeout: number;
  closeAllConnections(): void;
  closeIdleConnections(): void;
  /** Sends GOAWAY on every HTTP/2 connection: no new streams there, open ones finish. */
  goAway(): void;
}

/** Room for the data an HTTP/2 connection's streams have queued (many watches share one connection). */
const HTTP2_SESSION_MEMORY_MB = 32;

export function createGatewayServer(deps: {
  tls: TlsFiles['serving'];
  clientCAs?: readonly string[];
  pipeline: Pipeline;
  logger: Logger;
  /** 60 s unless said. */
  headersTimeoutMs?: number;
  /** Offer HTTP/2 by ALPN beside HTTP/1.1. */
  http2?: { maxConcurrentStreams: number };
}): GatewayServer {
  const headersTimeout = deps.headersTimeoutMs ?? 60_000;
  const askForCertificate = deps.clientCAs !== undefined && deps.clientCAs.length > 0;
  const options = {
    cert: deps.tls.cert,
    key: deps.tls.key,
    ...(askForCertificate ? { ca: [...deps.clientCAs!], requestCert: true, rejectUnauthorized: false } : {}),
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: 30_000,
  };
  const timeouts = { requestTimeout: 0, headersTimeout, connectionsCheckingInterval: connectionsCheckingInterval(headersTimeout), keepAliveTimeout: 65_000 };
  /** HTTP/2 connections open now, and how many streams each has open. */
  const sessions = new Map<ServerHttp2Session, { streams: number }>();
  let server: GatewayServer;
  if (deps.http2) {
    const h2 = createSecureServer({
      ...options,
      allowHTTP1: true,
      settings: { maxConcurrentStreams: deps.http2.maxConcurrentStreams },
      maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
    });
    // The HTTP/1.1 side reads these from the server itself (set before it listens); no socket timeout.
    const withTimeouts = Object.assign(h2, timeouts, { timeout: 0 });
    h2.on('session', (session: ServerHttp2Session) => {
      sessions.set(session, { streams: 0 });
      session.once('close', () => sessions.delete(session));
      session.on('error', (err) => deps.logger.debug({ err }, 'HTTP/2 connection with a client failed'));
    });
    h2.on('stream', (stream: ServerHttp2Stream) => {
      const open = stream.session && sessions.get(stream.session as ServerHttp2Session);
      if (!open) return;
      open.streams += 1;
      stream.once('close', () => (open.streams -= 1));
    });
    server = Object.assign(withTimeouts, {
      closeAllConnections() {
        for (const session of sessions.keys()) session.destroy();
        HttpServer.prototype.closeAllConnections.call(h2);
      },
      closeIdleConnections() {
        for (const [session, open] of sessions) if (open.streams === 0) session.close();
        HttpServer.prototype.closeIdleConnections.call(h2);
      },
      goAway() {
        for (const session of sessions.keys()) if (!session.closed) session.close();
      },
    });
    h2.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      if ('stream' in req) deps.pipeline.handleRequest(asPipelineRequest(req), res as unknown as ServerResponse);
      else deps.pipeline.handleRequest(req, res as ServerResponse);
    });
  } else {
    const h1 = createServer({ ...options, ...timeouts });
    h1.timeout = 0;
    server = Object.assign(h1, { goAway: () => undefined });
    h1.on('request', deps.pipeline.handleRequest);
  }
  server.on('upgrade', deps.pipeline.handleUpgrade);
  // Without a listener Node closes a CONNECT's socket unanswered; the apiserver answers it 405.
  server.on('connect', deps.pipeline.handleConnect);
  // A client's certificate is verified once per connection (auth/authenticate-request.ts): renegotiation,
  // which could swap it, is refused.
  server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
  // What the HTTP parser refuses (or headers that came too late) gets a Status, not Node's plain text.
  server.on('clientError', answerClientError);
  server.on('tlsClientError', (err: Error) => deps.logger.debug({ err }, 'TLS handshake with a client failed'));
  return server;
}
