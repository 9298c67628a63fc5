/**
 * One HTTP/1.1 lane to the upstream: a keep-alive pool of its own (an upgraded socket leaves the pool),
 * at most `limit` requests in flight, and a bounded wait. A request that finds every socket busy waits in
 * the agent's queue (first in, first out); if no socket is free for it within `queueTimeoutMs` it fails
 * with UpstreamSaturatedError, which the proxy answers 429 with Retry-After, instead of waiting for ever.
 * A new socket must finish TCP + TLS within `connectTimeoutMs`; there is deliberately no other timeout:
 * watches and large LIST responses last as long as they last.
 */
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { UpstreamConnectTimeoutError, UpstreamSaturatedError, type UpstreamLane } from './upstream-failure.js';
import type { LaneStats, UpstreamRequest, UpstreamTransport } from './upstream-request.js';

export interface Http1LaneOptions {
  lane: UpstreamLane;
  host: string;
  port: number;
  tls: ConnectionOptions;
  limit: number;
  queueTimeoutMs: number;
  connectTimeoutMs: number;
  /** Called for each request refused because its lane stayed full. */
  onSaturated?: (lane: UpstreamLane) => void;
}

function count(lists: NodeJS.ReadOnlyDict<readonly unknown[]>): number {
  let n = 0;
  for (const key in lists) n += lists[key]?.length ?? 0;
  return n;
}

/** Whether `req` is the last request the agent has queued (it got no socket when it was made). */
function isQueued(agent: Agent, req: ClientRequest): boolean {
  for (const key in agent.requests) {
    const queue = agent.requests[key];
    if (queue && queue[queue.length - 1] === (req as unknown)) return true;
  }
  return false;
}

export function createHttp1Lane(opts: Http1LaneOptions): UpstreamTransport {
  const agent = new Agent({ ...opts.tls, keepAlive: true, maxSockets: opts.limit, scheduling: 'lifo' });
  const { connectTimeoutMs, queueTimeoutMs } = opts;

  return {
    request(o): UpstreamRequest {
      const req = request({
        agent,
        host: opts.host,
        port: opts.port,
        method: o.method,
        path: o.path,
        headers: [...o.headers],
        setHost: false,
      });
      // A pooled socket is connected already; a new one must finish TCP + TLS within the timeout.
      req.on('socket', (socket) => {
        if (req.reusedSocket) return;
        const timer = setTimeout(() => req.destroy(new UpstreamConnectTimeoutError(connectTimeoutMs)), connectTimeoutMs);
        const clear = () => clearTimeout(timer);
        socket.once('secureConnect', clear);
        socket.once('close', clear);
      });
      if (isQueued(agent, req)) {
        const timer = setTimeout(() => {
          opts.onSaturated?.(opts.lane);
          req.destroy(new UpstreamSaturatedError(opts.lane, opts.limit, queueTimeoutMs));
        }, queueTimeoutMs);
        req.once('socket', () => clearTimeout(timer));
        req.once('close', () => clearTimeout(timer));
      }
      return req;
    },
    stats(): LaneStats {
      return {
        lane: opts.lane,
        protocol: 'http1.1',
        inFlight: count(agent.sockets),
        limit: opts.limit,
        waiting: count(agent.requests),
        connections: count(agent.sockets) + count(agent.freeSockets),
      };
    },
    close() {
      agent.destroy();
    },
  };
}
