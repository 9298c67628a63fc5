/**
 * Builds the gateway from a Config: the request pipeline behind an HTTPS server, and the ops server.
 * It never listens (tests and `serve.ts` do), and everything it creates is released by `close()`.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createAuthentication } from './auth/create-authentication.js';
import type { Config } from './config/parse-config.js';
import { readTlsFiles } from './config/read-tls-files.js';
import { createGatewayMetrics } from './gateway/gateway-metrics.js';
import { createGatewayServer } from './gateway/gateway-server.js';
import { createPipeline } from './gateway/pipeline.js';
import { createUpstreamClient } from './gateway/upstream-client.js';
import { createOpsServer } from './ops/ops-server.js';
import { createUpstreamProbe } from './ops/upstream-probe.js';

export interface GatewayApp {
  server: HttpsServer;
  ops: HttpServer;
  close(): Promise<void>;
}

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Where metrics go; a new Registry when omitted. Default process metrics are added once. */
  registry?: Registry;
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function createApp(deps: AppDeps): GatewayApp {
  const { config } = deps;
  const logger = deps.logger;
  const registry = deps.registry ?? new Registry();
  if (registry.getSingleMetric('process_resident_memory_bytes') === undefined) collectDefaultMetrics({ register: registry });

  const files = readTlsFiles(config);
  const upstream = createUpstreamClient({ upstream: config.upstream, files: files.upstream });
  const auth = createAuthentication({ config, files, registry });
  // Forwarded requests present the mode's credentials (front-proxy certificate, none, or the gateway's own).
  const forwarding = auth.forwardingFiles === files.upstream ? upstream : createUpstreamClient({ upstream: config.upstream, files: auth.forwardingFiles });
  const pipeline = createPipeline({
    upstream: forwarding,
    identityMode: config.identity.mode,
    authenticate: auth.authenticate,
    isIdentityHeader: auth.isIdentityHeader,
    logger,
    metrics: createGatewayMetrics(registry),
  });
  const server = createGatewayServer({ tls: files.serving, clientCAs: auth.clientCAPems, pipeline, logger });
  const ops = createOpsServer({ registry, probe: createUpstreamProbe({ upstream }) });

  if (config.identity.mode === 'insecure') {
    logger.warn(
      { identityMode: 'insecure' },
      "identity.mode is insecure: every request reaches the apiserver with the gateway's own credentials; use it for development only",
    );
  }

  return {
    server,
    ops,
    async close() {
      pipeline.close();
      await Promise.all([closeServer(server), closeServer(ops)]);
      upstream.close();
      forwarding.close();
    },
  };
}
