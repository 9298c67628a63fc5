/**
 * A real HTTPS server on loopback standing in for the apiserver in gateway tests. It asks for client
 * certificates (accepting requests without one, like the apiserver does for token callers) and records
 * what it received: method, target, raw headers and the client certificate's CN.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
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
  server: Server;
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

export async function startTestUpstream(pki: GatewayTestPki, handler: UpstreamHandler): Promise<TestUpstream> {
  const seen: SeenUpstreamRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({
    cert: pki.upstreamServing.certPem,
    key: pki.upstreamServing.keyPem,
    ca: pki.upstreamCa.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push(recordRequest(req));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
