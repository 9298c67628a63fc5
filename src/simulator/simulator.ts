/**
 * The kube-apiserver simulator: HTTPS (HTTP/2 and HTTP/1.1 by ALPN, as kube-apiserver serves them: at
 * most 100 concurrent streams per HTTP/2 connection, as kube-apiserver 1.32 advertises; upgrades over
 * HTTP/1.1; `http2: false` for HTTP/1.1 only) with client-certificate, static-token and
 * front-proxy request-header authentication, impersonation checked by a minimal authorizer, an
 * in-memory etcd with history (store.ts), LIST/WATCH with upstream semantics, and a memory model that
 * kills the "process" when in-flight LIST responses pass `oomLimitBytes`: every open connection
 * (watches and exec sessions included) is destroyed, the listener closes, the in-flight gauge
 * resets, and after `restartDelayMs` it listens again on the same port with the same store (etcd
 * survives an apiserver restart; the watch cache does not, so watches must resume from a fresh list).
 * etcd compaction runs every 5 minutes like the apiserver's (--etcd-compaction-interval), compacting to the
 * revision seen at the previous run (storage/etcd3/compact.go).
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import type { TokenTable } from './authn.js';
import { asIncomingMessage } from './http2-compat.js';
import { createSimulatorAuthorizer, type AccessRule } from './authorizer.js';
import { createExecServer } from './exec.js';
import { createFlowControl } from './flow-control.js';
import { createPodPorts } from './pod-ports.js';
import { createPortForwardServer } from './port-forward.js';
import { FRONT_PROXY_DEFAULTS, type FrontProxy, type FrontProxyOptions } from './front-proxy.js';
import { createMemoryModel } from './memory-model.js';
import { createSimulatorMetrics } from './metrics.js';
import { createRequestLog, type SeenRequest } from './request-log.js';
import { createRouter } from './router.js';
import { seedStore, type SeedOptions } from './seed.js';
import { createStore } from './store.js';
import { versionProfile, type SimulatorVersion } from './version-profile.js';
import { scheduleWithTimers, type Schedule } from './watch-sink.js';

export type { SeedOptions } from './seed.js';
export type { SeenRequest } from './request-log.js';
export type { FrontProxyOptions } from './front-proxy.js';
export type { AccessRule } from './authorizer.js';
export type { SimulatorVersion } from './version-profile.js';

export interface SimulatorOptions {
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  tokens?: TokenTable;
  /** Trust a front proxy's X-Remote-* headers (the apiserver's --requestheader-* flags). */
  frontProxy?: FrontProxyOptions;
  /** User names allowed to impersonate, besides members of system:masters. */
  impersonators?: string[];
  /** RBAC-like allow rules (authorizer.ts); without them every authenticated user may do everything. */
  access?: AccessRule[];
  /** Keep every request's raw headers in `stats.requests()` (off by default: memory). */
  recordHeaders?: boolean;
  seed?: SeedOptions;
  oomLimitBytes?: number;
  /** How long an ended LIST's modeled memory stays counted, decaying (memory-model.ts); default 1 s. */
  gcHoldMs?: number;
  restartDelayMs?: number;
  /**
   * Whether streaming lists are served (default true). False models a 1.32 apiserver on an etcd without
   * progress notifications: HTTP 200 and one ERROR event (watch-list-support.ts).
   */
  watchList?: boolean;
  /** The WatchList feature gate (default on, as in 1.32); off, as a 1.33 apiserver ships, refuses with 422. */
  watchListFeatureGate?: boolean;
  bookmarkIntervalMs?: number;
  /** Offer HTTP/2 by ALPN beside HTTP/1.1 (default true, as kube-apiserver does). */
  http2?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of an HTTP/2 connection (default 100, kube-apiserver 1.32's). */
  http2MaxConcurrentStreams?: number;
  /** The kube-apiserver release to present (version-profile.ts); default 1.32. */
  version?: SimulatorVersion;
  logger?: Logger;
  now?: () => number;
  /** Timers for the modeled waits (default: setTimeout); tests inject their own. */
  schedule?: Schedule;
}

export interface Simulator {
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
  readonly stats: {
    inflightResponseBytes(): number;
    peakInflightResponseBytes(): number;
    oomKills(): number;
    requests(): ReadonlyArray<SeenRequest>;
  };
  compact(): void;
  /**
   * Restarts the simulated apiserver at once, like `kill` without an OOM: connections are dropped, the
   * store survives, the watch cache starts over. Resolves when it listens again.
   */
  restart(): Promise<void>;
  /** Sends the user's requests to a priority level without seats (flow-control.ts). */
  rejectRequestsOf(user: string): void;
}

const COMPACTION_INTERVAL_MS = 5 * 60 * 1000;

export function createSimulator(opts: SimulatorOptions): Simulator {
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? pino({ enabled: false });
  const store = createStore({ now });
  seedStore(store, opts.seed, now());
  // The watch cache starts with the process: events before it (the seed) cannot be watched from.
  store.restartWatchWindow();
  const sockets = new Set<Socket>();
  let server: TlsServer | undefined;
  let bound: { port: number; host: string } | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const memory = createMemoryModel({
    limitBytes: opts.oomLimitBytes,
    gcHoldMs: opts.gcHoldMs ?? 1_000,
    now,
    onOom: (wanted, inflight) => {
      logger.warn({ wanted, inflight, limit: opts.oomLimitBytes }, 'simulated apiserver OOM-killed');
      metrics.countOomKill();
      kill();
    },
  });
  const profile = versionProfile(opts.version);
  const metrics = createSimulatorMetrics({ store, memory, watchList: opts.watchListFeatureGate ?? true, profile });
  const requestLog = createRequestLog();
  const exec = createExecServer();
  const flowControl = createFlowControl();
  const podPorts = createPodPorts();
  const portForward = createPortForwardServer({ ports: podPorts });
  const fp = opts.frontProxy;
  const frontProxy: FrontProxy | undefined = fp && {
    ca: new X509Certificate(fp.caPem),
    allowedNames: fp.allowedNames ?? [],
    usernameHeaders: fp.usernameHeaders ?? FRONT_PROXY_DEFAULTS.usernameHeaders,
    groupHeaders: fp.groupHeaders ?? FRONT_PROXY_DEFAULTS.groupHeaders,
    uidHeaders: fp.uidHeaders ?? FRONT_PROXY_DEFAULTS.uidHeaders,
    extraHeaderPrefixes: fp.extraHeaderPrefixes ?? FRONT_PROXY_DEFAULTS.extraHeaderPrefixes,
  };
  const router = createRouter({
    store,
    memory,
    now,
    watchList: opts.watchList ?? true,
    watchListGate: opts.watchListFeatureGate ?? true,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    tokens: opts.tokens ?? {},
    clientCa: new X509Certificate(opts.tls.clientCaPem),
    ...(frontProxy ? { frontProxy } : {}),
    authorizer: createSimulatorAuthorizer({ impersonators: opts.impersonators ?? [], ...(opts.access ? { rules: opts.access } : {}) }),
    logger,
    metrics,
    profile,
    schedule: opts.schedule ?? scheduleWithTimers,
    requestLog,
    recordHeaders: opts.recordHeaders ?? false,
    exec,
    portForward,
    flowControl,
  });

  const startServer = (port: number, host: string): Promise<number> => {
    const tls = {
      cert: opts.tls.certPem,
      key: opts.tls.keyPem,
      ca: fp ? [opts.tls.clientCaPem, fp.caPem] : opts.tls.clientCaPem,
      requestCert: true,
      rejectUnauthorized: false,
    };
    const s: TlsServer =
      opts.http2 === false
        ? createServer({ ...tls, ALPNProtocols: ['http/1.1'] })
        : createSecureServer({
            ...tls,
            allowHTTP1: true,
            settings: { maxConcurrentStreams: opts.http2MaxConcurrentStreams ?? 100 },
            // Watches of many clients share a connection: room for their queued data.
            maxSessionMemory: 64,
          });
    // HTTP/1.1 connections: watches and big LISTs run as long as they need.
    Object.assign(s, { requestTimeout: 0, keepAliveTimeout: 90_000 });
    s.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // The HTTP/2 compatibility API serves the router's IncomingMessage/ServerResponse calls over both protocols.
    s.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) =>
      router.handleRequest(asIncomingMessage(req), res as ServerResponse),
    );
    s.on('upgrade', router.handleUpgrade);
    s.on('tlsClientError', (err) => logger.debug({ err }, 'TLS handshake failed'));
    server = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        // Closed while it was coming back up (after an OOM kill): it must not outlive close().
        if (closed && server !== s) s.close();
        const address = s.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  };

  const destroySockets = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  function kill(): void {
    const dying = server;
    server = undefined;
    dying?.close();
    destroySockets();
    memory.reset();
    store.restartWatchWindow();
    if (closed || !bound) return;
    const { port, host } = bound;
    // A request already being handled can be killed again while the process is down: one restart only.
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closed || server) return;
      startServer(port, host).then(
        () => logger.info({ port }, 'simulated apiserver restarted'),
        (err: unknown) => logger.error({ err, port }, 'simulated apiserver could not listen again'),
      );
    }, opts.restartDelayMs ?? 1000);
  }

  let lastSeenRv = store.currentRv();
  const compactor = setInterval(() => {
    store.compact(lastSeenRv);
    lastSeenRv = store.currentRv();
  }, COMPACTION_INTERVAL_MS);
  compactor.unref();

  return {
    async listen(port, host = '127.0.0.1') {
      if (server) throw new Error('simulator is already listening');
      const actual = await startServer(port, host);
      bound = { port: actual, host };
      return actual;
    },
    async close() {
      closed = true;
      clearInterval(compactor);
      if (restartTimer) clearTimeout(restartTimer);
      exec.close();
      portForward.close();
      podPorts.close();
      const s = server;
      server = undefined;
      destroySockets();
      // A server still coming up is closed by its listen callback (it sees `closed`).
      if (s?.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    stats: {
      inflightResponseBytes: () => memory.inflight(),
      peakInflightResponseBytes: () => memory.peak(),
      oomKills: () => metrics.oomKills(),
      requests: () => requestLog.list(),
    },
    compact: () => store.compact(),
    async restart() {
      if (!bound || closed) throw new Error('simulator is not listening');
      const dying = server;
      server = undefined;
      destroySockets();
      memory.reset();
      store.restartWatchWindow();
      if (dying) await new Promise<void>((resolve) => dying.close(() => resolve()));
      await startServer(bound.port, bound.host);
    },
    rejectRequestsOf: (user) => flowControl.rejectRequestsOf(user),
  };
}
