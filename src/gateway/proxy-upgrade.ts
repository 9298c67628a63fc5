/**
 * proxy (upgrades: exec, attach, port-forward over WebSocket or SPDY, WebSocket watches): sends the
 * upgrade request upstream with the same header rules as any request (keeping `Upgrade` and
 * `Connection: Upgrade`). Only when the upstream answers 101 are the two sockets joined and piped both
 * ways; when either side ends or fails, both are torn down. Any other answer (a 4xx Status, or a plain
 * response from a server that ignores the upgrade) is relayed and the client connection closed, so no
 * later bytes from the client can reach the upstream without passing through the pipeline again.
 */
import { STATUS_CODES } from 'node:http';
import { pipeline, type Duplex } from 'node:stream';
import type { IdentityMode } from '../config/parse-config.js';
import { ByteCounter } from './count-bytes.js';
import { removeHopByHopHeaders } from './hop-by-hop.js';
import type { RawHeaders } from './raw-headers.js';
import type { ClassifiedContext, UpgradeExchange } from './request-context.js';
import type { UpstreamClient, UpstreamResponse } from './upstream-client.js';
import { upstreamFailure } from './upstream-failure.js';
import { upstreamHeadersFor } from './upstream-headers.js';

export interface UpgradeProxy {
  (ctx: ClassifiedContext<UpgradeExchange>): Promise<void>;
  /** Destroys every open tunnel (shutdown). */
  closeAll(): void;
}

/** `HTTP/1.1 101 Switching Protocols` and the header lines, as they go onto the client's raw socket. */
export function serializeResponseHead(code: number, message: string | undefined, headers: RawHeaders): string {
  const lines = [`HTTP/1.1 ${code} ${message || STATUS_CODES[code] || ''}`];
  for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export function createUpgradeProxy(deps: { upstream: UpstreamClient; identityMode: IdentityMode }): UpgradeProxy {
  const { upstream } = deps;
  const facts = { server: upstream.server, connectTimeoutMs: upstream.connectTimeoutMs };
  const open = new Set<Duplex>();

  /** Joins the client and upstream sockets; resolves when both directions are torn down. */
  const tunnel = (ctx: ClassifiedContext<UpgradeExchange>, upstreamSocket: Duplex) =>
    new Promise<void>((resolve) => {
      const { socket: client } = ctx.exchange;
      open.add(upstreamSocket);
      // Each socket carries listeners from its server, both pipelines and the request log: a fixed
      // number per tunnel, above EventEmitter's leak-warning default of 10.
      for (const socket of [client, upstreamSocket]) socket.setMaxListeners(Math.max(socket.getMaxListeners(), 32));
      let pending = 2;
      const teardown = () => {
        client.destroy();
        upstreamSocket.destroy();
        if (--pending === 0) {
          open.delete(upstreamSocket);
          resolve();
        }
      };
      const toUpstream = new ByteCounter((n) => (ctx.outcome.bytesFromClient += n));
      const toClient = new ByteCounter((n) => (ctx.outcome.bytesToClient += n));
      pipeline(client, toUpstream, upstreamSocket, teardown);
      pipeline(upstreamSocket, toClient, client, teardown);
    });

  /** A non-101 answer: relayed with `Connection: close`, body delimited by the close. */
  const relayRefusal = (ctx: ClassifiedContext<UpgradeExchange>, res: UpstreamResponse) =>
    new Promise<void>((resolve) => {
      const { socket: client } = ctx.exchange;
      // The body length is what Content-Length says, if sent; otherwise the close delimits it.
      const headers = [...removeHopByHopHeaders(res.rawHeaders), 'Connection', 'close'];
      client.write(serializeResponseHead(res.statusCode ?? 502, res.statusMessage, headers));
      const toClient = new ByteCounter((n) => (ctx.outcome.bytesToClient += n));
      pipeline(res, toClient, client, () => resolve());
    });

  const proxy = (ctx: ClassifiedContext<UpgradeExchange>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const { socket: client, head } = ctx.exchange;
      client.on('error', (err) => ctx.log.debug({ err }, 'client socket error'));
      const headers = upstreamHeadersFor(ctx, { identityMode: deps.identityMode, upstream, upgrade: true });
      const upstreamReq = upstream.request({ method: ctx.method, path: ctx.classification.target.url, headers, lane: 'upgrade' });
      const onClientClose = () => {
        ctx.outcome.clientClosed = true;
        upstreamReq.destroy();
        resolve();
      };
      client.once('close', onClientClose);
      let answered = false;
      upstreamReq.once('upgrade', (res, upstreamSocket, upstreamHead) => {
        answered = true;
        client.removeListener('close', onClientClose);
        ctx.outcome.code = 101;
        client.write(serializeResponseHead(101, res.statusMessage, res.rawHeaders));
        if (upstreamHead.length > 0) client.write(upstreamHead);
        if (head.length > 0) upstreamSocket.write(head);
        void tunnel(ctx, upstreamSocket).then(resolve);
      });
      upstreamReq.once('response', (res) => {
        answered = true;
        client.removeListener('close', onClientClose);
        ctx.outcome.code = res.statusCode ?? 502;
        void relayRefusal(ctx, res).then(resolve);
      });
      upstreamReq.on('error', (err) => {
        if (answered || ctx.outcome.clientClosed) return;
        answered = true;
        client.removeListener('close', onClientClose);
        reject(upstreamFailure(err, facts));
      });
      upstreamReq.end();
    });

  return Object.assign(proxy, {
    closeAll() {
      for (const socket of open) socket.destroy();
    },
  });
}
