/**
 * Builds the gateway from a Config: the request path (authentication, pipeline and upstream clients,
 * rebuilt as a new generation when their settings change) behind an HTTPS server, the ops server with
 * readiness and metrics, the reloadable config source, and the graceful shutdown. It never listens
 * (tests and `serve.ts` do), and everything it creates is released by `close()`.
 */
import type { Timers } from './timers.js';
import { setMaxListeners } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createAuthentication } from './auth/create-authentication.js';
import { createReviewLimiter } from './auth/review-limiter.js';
import { createConfigSource, type ConfigSource } from './config/config-source.js';
import { readSnapshotFiles } from './config/load-config-file.js';
import type { Config } from './config/parse-config.js';
import { CENSUS_MAX_SOCKETS } from './gateway/census-upstream.js';
import { createAuthorizeStep } from './gateway/authorize-step.js';
import { createGatewayAdmission } from './gateway/gateway-admission.js';
import { createDebugEstimateHandler } from './gateway/debug-estimate.js';
import { createGatewayEstimator } from './gateway/gateway-estimator.js';
import { createGatewayMetrics } from './gateway/gateway-metrics.js';
import { createOffloadMetrics } from './gateway/offload-metrics.js';
import { createGatewayServer, type GatewayServer } from './gateway/gateway-server.js';
import { createPipeline } from './gateway/pipeline.js';
import { createUpstreamClient } from './gateway/upstream-client.js';
import { createSnapshotApplier } from './ops/apply-snapshot.js';
import { trackConnections } from './ops/connection-drain.js';
import { createOpsServer } from './ops/ops-server.js';
import { createReadiness, type Readiness } from './ops/readiness.js';
import { createReloadMetrics, type ReloadMetrics } from './ops/reload-metrics.js';
import { createRequestPath, type BuildGeneration } from './ops/request-path.js';
import { createShutdownHooks, shutDownGracefully, type ShutdownHooks, type ShutdownResult } from './ops/shutdown.js';
import { createUpstreamCapacity } from './ops/upstream-capacity.js';
import { createUpstreamMetrics } from './ops/upstream-metrics.js';
import { createRoutingWebhook, type RoutingWebhook } from './webhook/create-webhook.js';

/** The readiness probe's own client: one probe at a time, and one spare. */
const PROBE_MAX_SOCKETS = 2;

export interface GatewayApp {
  server: GatewayServer;
  ops: HttpServer;
  /** The pod-routing admission webhook (its own listener: `webhook.server`), when webhook.enabled (src/webhook/). */
  webhook: RoutingWebhook | undefined;
  /** The configuration in effect; the reloader publishes new snapshots to it. */
  config: ConfigSource;
  /** Named checks ANDed by /readyz; components add their own. */
  readiness: Readiness;
  /** Run on shutdown after the drain (admission releases its leases here). */
  shutdownHooks: ShutdownHooks;
  reloadMetrics: ReloadMetrics;
  /** SIGTERM: the graceful sequence of src/ops/shutdown.ts with the shutdown settings in effect. */
  shutdown(): Promise<ShutdownResult>;
  /** Cuts everything at once. */
  close(): Promise<void>;
}

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Where metrics go; a new Registry when omitted. Default process metrics are added once. */
  registry?: Registry;
  /** Time for the estimator's and admission's clocks and timers (tests drive it by hand); default Node's. */
  clock?: { now(): number; timers: Timers };
}

function closeServer(server: HttpServer | GatewayServer): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export function createApp(deps: AppDeps): GatewayApp {
  const logger = deps.logger;
  const registry = deps.registry ?? new Registry();
  if (registry.getSingleMetric('process_resident_memory_bytes') === undefined) collectDefaultMetrics({ register: registry });
  const metrics = createGatewayMetrics(registry);
  const offloadMetrics = createOffloadMetrics(registry);
  // Every watch in flight listens for the shutdown: no listener-count warning for thousands of them.
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal);
  // The files the config names, read (and checked) before anything is built.
  const initial = readSnapshotFiles(deps.config);
  // Long-lived: its learned models outlive reloads; its census reads the upstream on a pool of its own.
  const estimating = createGatewayEstimator({ config: deps.config, registry, logger, ...(deps.clock ? { clock: deps.clock } : {}) });
  // Long-lived too: leases and queues outlive reloads; it reads the upstream through the census's connection.
  const admitting = createGatewayAdmission({
    config: deps.config,
    registry,
    logger,
    upstream: estimating.censusUpstream,
    estimator: estimating.estimator,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(initial.sharedBudget ? { sharedBudgetFiles: initial.sharedBudget } : {}),
  });

  // Long-lived: the bounds on TokenReviews hold across reloads (a reload changes them in place).
  const reviewLimiter = createReviewLimiter(deps.config.authentication.tokenReview.limits);
  // Long-lived: saturation counts outlive reloads; it reads the lanes of the newest generation.
  const capacity = createUpstreamCapacity({ registry });

  const build: BuildGeneration = ({ config, files }, track) => {
    // Readiness probes have a small client of their own: a saturated lane of forwarded requests never
    // delays them (the upstream-capacity check reports the saturation itself).
    const probing = track(createUpstreamClient({ upstream: { ...config.upstream, maxSockets: PROBE_MAX_SOCKETS }, files: files.upstream }));
    const auth = createAuthentication({ config, files, registry, reviewLimiter });
    // Forwarded requests present the mode's credentials (front-proxy certificate, none, or the gateway's own).
    const forwarding = track(createUpstreamClient({ upstream: config.upstream, files: auth.forwardingFiles, onSaturated: capacity.saturated }));
    const pipeline = createPipeline({
      upstream: forwarding,
      identityMode: config.identity.mode,
      authenticate: auth.authenticate,
      isIdentityHeader: auth.isIdentityHeader,
      logger,
      metrics,
      offloadMetrics,
      stopping: stopping.signal,
      estimator: estimating.estimator,
      // The apiserver authorizes the caller in every mode but insecure (there it sees the gateway).
      ...(config.authorization.enabled && config.identity.mode !== 'insecure'
        ? {
            authorize: createAuthorizeStep({
              reviewer: auth.reviewer,
              impersonation: auth.impersonation,
              mode: config.identity.mode,
              weighs: (estimate) => admitting.admission.weighs(estimate),
              server: config.upstream.server,
            }),
          }
        : {}),
      admit: admitting.admit,
    });
    // The census never shares the forwarded traffic's pool; it asks with the gateway's own credentials.
    estimating.censusUpstream.use(createUpstreamClient({ upstream: { ...config.upstream, maxSockets: CENSUS_MAX_SOCKETS }, files: files.upstream }));
    return { pipeline, probeUpstream: probing, forwardUpstream: forwarding };
  };

  const source = createConfigSource(initial);
  const requestPath = createRequestPath(initial, build, { metrics: createUpstreamMetrics(registry) });
  capacity.readFrom(() => requestPath.current().lanes());
  const server = createGatewayServer({
    tls: initial.files.serving,
    clientCAs: initial.auth.clientCAPems,
    pipeline: requestPath,
    logger,
    headersTimeoutMs: deps.config.listen.headersTimeoutMs,
    ...(deps.config.listen.http2 ? { http2: { maxConcurrentStreams: deps.config.listen.http2MaxConcurrentStreams } } : {}),
  });
  const drain = trackConnections(server);
  source.subscribe(createSnapshotApplier({ server, requestPath, logger }));
  source.subscribe((next) => reviewLimiter.reconfigure(next.config.authentication.tokenReview.limits));
  source.subscribe(estimating.onReload);
  source.subscribe(admitting.onReload);
  estimating.start();
  admitting.start();
  // Its own listener; it keeps answering through a drain (failurePolicy Ignore covers a closed one).
  const webhook = createRoutingWebhook({ source, registry, logger });
  webhook?.start();

  const readiness = createReadiness();
  readiness.add('upstream', async () => {
    const result = await requestPath.current().probe.check();
    return { ok: result.ready, detail: result.detail };
  });
  readiness.add('census', () => estimating.censusUpstream.warmth());
  readiness.add('upstream-capacity', () => capacity.check());
  if (admitting.sharedBudgetCheck) readiness.add('shared-budget', admitting.sharedBudgetCheck);
  const debugEstimate = createDebugEstimateHandler({ estimator: estimating.estimator, admission: admitting.dryRun });
  const ops = createOpsServer({ registry, readiness, routes: { '/debug/estimate': debugEstimate } });
  const reloadMetrics = createReloadMetrics(registry);
  reloadMetrics.succeeded(Date.now(), { initial: true });
  const shutdownHooks = createShutdownHooks();
  shutdownHooks.add('leases', () => admitting.releaseLeases());

  if (deps.config.identity.mode === 'insecure') {
    logger.warn(
      { identityMode: 'insecure' },
      "identity.mode is insecure: every request reaches the apiserver with the gateway's own credentials; use it for development only",
    );
  }

  const close = async () => {
    stopping.abort();
    requestPath.close();
    estimating.close();
    reviewLimiter.stop();
    webhook?.close();
    await Promise.all([admitting.close(), closeServer(server), closeServer(ops), ...(webhook ? [closeServer(webhook.server)] : [])]);
  };
  return {
    server,
    ops,
    webhook,
    config: source,
    readiness,
    shutdownHooks,
    reloadMetrics,
    shutdown: () =>
      shutDownGracefully(
        {
          readiness,
          drain,
          stopAccepting: () => server.close(),
          endWatches: () => stopping.abort(),
          hooks: shutdownHooks,
          cut: () => {
            server.closeAllConnections();
            requestPath.close();
          },
          close,
          logger,
        },
        source.current().shutdown,
      ),
    close,
  };
}
