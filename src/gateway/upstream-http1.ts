/**
 * One HTTP/1.1 lane to the upstream: a keep-alive pool of its own (an upgraded socket leaves the pool)
 * and at most `limit` requests in flight. A request that finds every slot taken waits (first in, first
 * out) as a WaitingRequest (waiting-request.ts); if no slot frees within `queueTimeoutMs` it fails with
 * UpstreamSaturatedError, which the proxy answers 429 with Retry-After, instead of waiting for ever.
 * The lane counts its slots itself (a request holds one from when it is made until it closes), so a
 * waiting request never sits in the agent's own queue, which has no timeout.
 * A new socket must finish TCP + TLS within `connectTimeoutMs`; there is deliberately no other timeout:
 * watches and large LIST responses last as long as they last.
 */
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { UpstreamConnectTimeoutError, UpstreamSaturatedError, type UpstreamLane } from './upstream-failure.js';
import type { LaneStats, UpstreamRequest, UpstreamRequestOptions, UpstreamTransport } from './upstream-request.js';
import { WaitingRequest } from './waiting-request.js';

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

interface Waiting {
  req: WaitingRequest;
  opts: UpstreamRequestOptions;
  timer: NodeJS.Timeout;
}

function count(lists: NodeJS.ReadOnlyDict<readonly unknown[]>): number {
  let n = 0;
  for (const key in lists) n += lists[key]?.length ?? 0;
  return n;
}

export function createHttp1Lane(opts: Http1LaneOptions): UpstreamTransport {
  // The agent may hold as many sockets as the lane has slots; the lane's own count keeps it there.
  const agent = new Agent({ ...opts.tls, keepAlive: true, maxSockets: opts.limit, scheduling: 'lifo' });
  const { connectTimeoutMs, queueTimeoutMs } = opts;
  const queue: Waiting[] = [];
  let inFlight = 0;

  const send = (o: UpstreamRequestOptions): ClientRequest => {
    inFlight += 1;
    const req = request({ agent, host: opts.host, port: opts.port, method: o.method, path: o.path, headers: [...o.headers], setHost: false });
    req.once('close', released);
    // A pooled socket is connected already; a new one must finish TCP + TLS within the timeout.
    req.on('socket', (socket) => {
      if (req.reusedSocket) return;
      const timer = setTimeout(() => req.destroy(new UpstreamConnectTimeoutError(connectTimeoutMs)), connectTimeoutMs);
      const clear = () => clearTimeout(timer);
      socket.once('secureConnect', clear);
      socket.once('close', clear);
    });
    return req;
  };

  function released(): void {
    inFlight -= 1;
    const next = queue.shift();
    if (!next) return;
    clearTimeout(next.timer);
    next.req.attach(send(next.opts));
  }

  const abandon = (req: WaitingRequest): void => {
    const at = queue.findIndex((w) => w.req === req);
    if (at < 0) return;
    clearTimeout(queue[at]!.timer);
    queue.splice(at, 1);
  };

  return {
    request(o): UpstreamRequest {
      if (inFlight < opts.limit && queue.length === 0) return send(o);
      const req = new WaitingRequest(abandon);
      const timer = setTimeout(() => {
        opts.onSaturated?.(opts.lane);
        req.destroy(new UpstreamSaturatedError(opts.lane, opts.limit, queueTimeoutMs));
      }, queueTimeoutMs);
      queue.push({ req, opts: o, timer });
      return req;
    },
    stats(): LaneStats {
      return { lane: opts.lane, protocol: 'http1.1', inFlight, limit: opts.limit, waiting: queue.length, connections: count(agent.sockets) + count(agent.freeSockets) };
    },
    close() {
      for (const waiting of queue.splice(0)) {
        clearTimeout(waiting.timer);
        waiting.req.destroy(new Error('the upstream client is closed'));
      }
      agent.destroy();
    },
  };
}
