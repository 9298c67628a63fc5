/**
 * The part of the gateway that is rebuilt when its settings change: the upstream clients and what is
 * built on them per configuration (authentication, the pipeline). New requests take the newest
 * generation; a request in flight finishes on the generation it started with, so a reload never
 * disturbs it; a replaced generation's upstream clients are closed once its last upstream request has
 * ended (a watch that started before the reload keeps its connection until it ends).
 * Long-lived state (a budget and its leases, the census) is not rebuilt here: it subscribes to the
 * ConfigSource instead (see config-source.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConfigSnapshot } from '../config/config-source.js';
import type { Pipeline } from '../gateway/pipeline.js';
import type { LaneStats, UpstreamClient } from '../gateway/upstream-client.js';
import type { UpstreamMetrics } from './upstream-metrics.js';
import { createUpstreamProbe, type UpstreamProbe } from './upstream-probe.js';

export interface GenerationParts {
  pipeline: Pipeline;
  /** The client readiness probes the upstream with (the gateway's own credentials). */
  probeUpstream: UpstreamClient;
  /** The client that forwards the callers' requests (its lanes are the capacity metrics and readiness read). */
  forwardUpstream: UpstreamClient;
}

/** Builds one generation; every upstream client it creates goes through `track`. */
export type BuildGeneration = (snapshot: ConfigSnapshot, track: (client: UpstreamClient) => UpstreamClient) => GenerationParts;

export interface Generation {
  readonly number: number;
  readonly pipeline: Pipeline;
  readonly probe: UpstreamProbe;
  /** The forwarding client's lanes, as of now. */
  lanes(): LaneStats[];
  /** Upstream requests (probes included) not yet ended. */
  readonly inFlight: number;
  /** Retired and every upstream client closed. */
  readonly closed: boolean;
}

export interface RequestPath {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  handleConnect(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  current(): Generation;
  /** Builds a new generation from `snapshot` (throws, changing nothing, if that fails); the old one retires. */
  replace(snapshot: ConfigSnapshot): Generation;
  /** Destroys the tunnels of every generation and closes every upstream client (shutdown). */
  close(): void;
}

interface LiveGeneration extends Generation {
  retire(): void;
  closeNow(): void;
}

function buildGeneration(number: number, snapshot: ConfigSnapshot, build: BuildGeneration, metrics?: UpstreamMetrics): LiveGeneration {
  const clients: UpstreamClient[] = [];
  let inFlight = 0;
  let retired = false;
  let closed = false;
  const closeClients = () => {
    if (closed) return;
    closed = true;
    for (const client of clients) client.close();
  };
  const track = (client: UpstreamClient): UpstreamClient => {
    clients.push(client);
    return {
      server: client.server,
      connectTimeoutMs: client.connectTimeoutMs,
      hostHeader: client.hostHeader,
      token: client.token,
      get protocol() {
        return client.protocol;
      },
      stats: () => client.stats(),
      close: () => client.close(),
      request(opts) {
        const req = client.request(opts);
        const started = performance.now();
        const answered = () => metrics?.observeResponse({ method: opts.method, path: opts.path, verb: opts.verb }, (performance.now() - started) / 1000);
        req.once('response', answered);
        req.once('upgrade', answered);
        inFlight++;
        req.once('close', () => {
          inFlight--;
          if (retired && inFlight === 0) closeClients();
        });
        return req;
      },
    };
  };
  let parts: GenerationParts;
  try {
    parts = build(snapshot, track);
  } catch (err) {
    closeClients();
    throw err;
  }
  return {
    number,
    pipeline: parts.pipeline,
    probe: createUpstreamProbe({ upstream: parts.probeUpstream }),
    lanes: () => parts.forwardUpstream.stats(),
    get inFlight() {
      return inFlight;
    },
    get closed() {
      return closed;
    },
    retire() {
      retired = true;
      if (inFlight === 0) closeClients();
    },
    closeNow() {
      parts.pipeline.close();
      closeClients();
    },
  };
}

export function createRequestPath(initial: ConfigSnapshot, build: BuildGeneration, opts: { metrics?: UpstreamMetrics } = {}): RequestPath {
  let current = buildGeneration(1, initial, build, opts.metrics);
  const all = new Set<LiveGeneration>([current]);
  return {
    handleRequest: (req, res) => current.pipeline.handleRequest(req, res),
    handleUpgrade: (req, socket, head) => current.pipeline.handleUpgrade(req, socket, head),
    handleConnect: (req, socket, head) => current.pipeline.handleConnect(req, socket, head),
    current: () => current,
    replace(snapshot) {
      const next = buildGeneration(current.number + 1, snapshot, build, opts.metrics);
      const previous = current;
      current = next;
      all.add(next);
      previous.retire();
      return next;
    },
    close() {
      for (const generation of all) generation.closeNow();
      all.clear();
    },
  };
}
