/**
 * proxy (upgrades: exec, attach, port-forward over WebSocket or SPDY, WebSocket watches): opens a fresh
 * TLS connection to the upstream, sends the request head with the same header rules as any request
 * (keeping `Upgrade` and `Connection: Upgrade`), then pipes the two sockets both ways. Whatever the
 * upstream answers (101, or a 4xx Status) reaches the client byte for byte. When either side ends or
 * fails, both are torn down.
 */
import { pipeline } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { IdentityMode } from '../config/parse-config.js';
import { ByteCounter } from './count-bytes.js';
import type { RawHeaders } from './raw-headers.js';
import type { ClassifiedContext, UpgradeExchange } from './request-context.js';
import type { UpstreamClient } from './upstream-client.js';
import { upstreamFailure } from './upstream-failure.js';
import { buildUpstreamHeaders } from './upstream-headers.js';

export interface UpgradeProxy {
  (ctx: ClassifiedContext<UpgradeExchange>): Promise<void>;
  /** Destroys every open tunnel (shutdown). */
  closeAll(): void;
}

/** `GET /path HTTP/1.1` and the header lines; values come from Node's parser or from us (no CR/LF). */
export function serializeRequestHead(method: string, target: string, headers: RawHeaders): string {
  const lines = [`${method} ${target} HTTP/1.1`];
  for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export function createUpgradeProxy(deps: { upstream: UpstreamClient; identityMode: IdentityMode }): UpgradeProxy {
  const { upstream } = deps;
  const facts = { server: upstream.server, connectTimeoutMs: upstream.connectTimeoutMs };
  const open = new Set<TLSSocket>();

  const proxy = async (ctx: ClassifiedContext<UpgradeExchange>): Promise<void> => {
    const { socket: client, head } = ctx.exchange;
    client.on('error', (err) => ctx.log.debug({ err }, 'client socket error'));
    let tunnel: TLSSocket;
    try {
      tunnel = await upstream.connect();
    } catch (err) {
      throw upstreamFailure(err, facts);
    }
    if (client.destroyed) {
      tunnel.destroy();
      ctx.outcome.clientClosed = true;
      return;
    }
    open.add(tunnel);
    const headers = buildUpstreamHeaders(ctx.headers, {
      identityMode: deps.identityMode,
      token: upstream.token,
      upstreamHost: upstream.hostHeader,
      clientAddress: ctx.clientAddress,
      requestId: ctx.id,
      upgrade: true,
    });
    tunnel.write(serializeRequestHead(ctx.method, ctx.url, headers));
    if (head.length > 0) tunnel.write(head);
    tunnel.once('data', (chunk: Buffer) => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16));
      if (status) ctx.outcome.code = Number(status[1]);
    });

    await new Promise<void>((resolve) => {
      let pending = 2;
      const teardown = () => {
        client.destroy();
        tunnel.destroy();
        if (--pending === 0) {
          open.delete(tunnel);
          resolve();
        }
      };
      const toUpstream = new ByteCounter((n) => (ctx.outcome.bytesFromClient += n));
      const toClient = new ByteCounter((n) => (ctx.outcome.bytesToClient += n));
      pipeline(client, toUpstream, tunnel, teardown);
      pipeline(tunnel, toClient, client, teardown);
    });
  };

  return Object.assign(proxy, {
    closeAll() {
      for (const tunnel of open) tunnel.destroy();
    },
  });
}
