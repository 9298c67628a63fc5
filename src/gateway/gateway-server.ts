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
 */
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import type { TlsFiles } from '../config/read-tls-files.js';
import { answerClientError } from './client-error.js';
import type { Pipeline } from './pipeline.js';

/** How often Node looks for connections past headersTimeout: a tenth of it, between 100 ms and 1 s. */
export function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(1_000, Math.max(100, Math.floor(headersTimeoutMs / 10)));
}

export function createGatewayServer(deps: {
  tls: TlsFiles['serving'];
  clientCAs?: readonly string[];
  pipeline: Pipeline;
  logger: Logger;
  /** 60 s unless said. */
  headersTimeoutMs?: number;
}): Server {
  const headersTimeout = deps.headersTimeoutMs ?? 60_000;
  const askForCertificate = deps.clientCAs !== undefined && deps.clientCAs.length > 0;
  const server = createServer({
    cert: deps.tls.cert,
    key: deps.tls.key,
    ...(askForCertificate ? { ca: [...deps.clientCAs!], requestCert: true, rejectUnauthorized: false } : {}),
    requestTimeout: 0,
    headersTimeout,
    connectionsCheckingInterval: connectionsCheckingInterval(headersTimeout),
    keepAliveTimeout: 65_000,
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: 30_000,
  });
  server.timeout = 0;
  server.on('request', deps.pipeline.handleRequest);
  server.on('upgrade', deps.pipeline.handleUpgrade);
  // Without a listener Node closes a CONNECT's socket unanswered; the apiserver answers it 405.
  server.on('connect', deps.pipeline.handleConnect);
  // A client's certificate is verified once per connection (auth/authenticate-request.ts): renegotiation,
  // which could swap it, is refused.
  server.on('secureConnection', (socket) => socket.disableRenegotiation());
  // What the HTTP parser refuses (or headers that came too late) gets a Status, not Node's plain text.
  server.on('clientError', answerClientError);
  server.on('tlsClientError', (err) => deps.logger.debug({ err }, 'TLS handshake with a client failed'));
  return server;
}
