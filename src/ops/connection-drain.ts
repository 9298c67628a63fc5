/**
 * Tracks what is in flight on the gateway's listener (requests until their response closes, and
 * upgraded tunnels until their socket closes) and drains it on shutdown: once `closeAfterResponse()` is
 * called, every HTTP/1.1 response that has not sent its headers yet carries `Connection: close` and
 * every HTTP/2 connection gets GOAWAY, so clients move to another replica without a failed request; while `idle()` waits, connections that
 * are idle are closed.
 */
import type { ServerResponse } from 'node:http';
import type { GatewayServer } from '../gateway/gateway-server.js';
import type { Duplex } from 'node:stream';

export interface ConnectionDrain {
  /** Requests and tunnels in flight. */
  readonly inFlight: number;
  /** From now on: `Connection: close` on every response. */
  closeAfterResponse(): void;
  /** Resolves true once nothing is in flight, false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function trackConnections(server: GatewayServer, opts: { pollMs?: number } = {}): ConnectionDrain {
  const pollMs = opts.pollMs ?? 50;
  const responses = new Set<ServerResponse>();
  const tunnels = new Set<Duplex>();
  let closing = false;

  server.prependListener('request', (_req, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    responses.add(res);
    res.once('close', () => responses.delete(res));
  });
  server.prependListener('upgrade', (_req, socket: Duplex) => {
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
  });

  return {
    get inFlight() {
      return responses.size + tunnels.size;
    },
    closeAfterResponse() {
      // Idle keep-alive connections are left open here: a client may be sending on one right now, and
      // its next response says `Connection: close` anyway. They are closed while draining (`idle`).
      closing = true;
      for (const res of responses) if (!res.headersSent) res.shouldKeepAlive = false;
      // HTTP/2 clients get GOAWAY: their open streams finish, their next requests go elsewhere.
      server.goAway();
    },
    idle(timeoutMs) {
      return new Promise((resolve) => {
        const deadline = performance.now() + timeoutMs;
        const check = () => {
          if (closing) server.closeIdleConnections();
          if (responses.size + tunnels.size === 0) return resolve(true);
          if (performance.now() >= deadline) return resolve(false);
          setTimeout(check, Math.min(pollMs, Math.max(1, deadline - performance.now())));
        };
        check();
      });
    },
  };
}
