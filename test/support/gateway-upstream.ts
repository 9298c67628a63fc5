/**
 * A real HTTPS server on loopback standing in for the apiserver in gateway tests. It asks for client
 * certificates (accepting requests without one, like the apiserver does for token callers) and records
 * what it received: method, target, raw headers and the client certificate's CN. With `http2` it also
 * speaks HTTP/2 (ALPN `h2` beside `http/1.1`, as kube-apiserver does) with the given stream limit per
 * connection, and `sessions` holds its HTTP/2 connections, so a test can send GOAWAY or drop one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { createServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { GatewayTestPki } from './gateway-pki.js';

export interface SeenUpstreamRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  clientCN: string | undefined;
}

export interface TestUpstream {
  server: TlsServer;
  /** HTTP/2 connections open now (with `http2`). */
  sessions: Set<ServerHttp2Session>;
  port: number;
  url: string;
  seen: SeenUpstreamRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function recordRequest(req: IncomingMessage): SeenUpstreamRequest {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  const cn = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
  return { method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], clientCN: cn };
}

export async function startTestUpstream(pki: GatewayTestPki, handler: UpstreamHandler, opts: { http2?: { maxConcurrentStreams: number } } = {}): Promise<TestUpstream> {
  const seen: SeenUpstreamRequest[] = [];
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const tls = { cert: pki.upstreamServing.certPem, key: pki.upstreamServing.keyPem, ca: pki.upstreamCa.certPem, requestCert: true, rejectUnauthorized: false };
  const server: TlsServer = opts.http2
    ? createSecureServer({ ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: opts.http2.maxConcurrentStreams } })
    : createServer(tls);
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // HTTP/2 requests come through Node's compatibility API, which has the calls handlers make.
  server.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    seen.push(recordRequest(req as IncomingMessage));
    handler(req as IncomingMessage, res as ServerResponse);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    sessions,
    port,
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
