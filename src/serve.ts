/**
 * Runs the gateway: builds the app, listens — the gateway on config.listen, the ops server on config.ops,
 * the routing webhook on config.webhook.listen when enabled (port 0 picks a free port) — and, given the
 * config file's path, reloads it (and the files it names) when they change. Returns the ports actually bound, the graceful shutdown and the immediate close.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createApp, type GatewayApp } from './app.js';
import type { Config, Endpoint } from './config/parse-config.js';
import { createConfigReloader, type ConfigReloader } from './ops/config-reloader.js';
import type { ShutdownResult } from './ops/shutdown.js';

export interface RunningGateway {
  port: number;
  opsPort: number;
  /** The routing webhook's port, when webhook.enabled. */
  webhookPort: number | undefined;
  app: GatewayApp;
  /** Present when started with `configPath`. */
  reloader: ConfigReloader | undefined;
  /** Graceful (SIGTERM): readiness fails, the listener closes after the grace period, requests drain. */
  shutdown(): Promise<ShutdownResult>;
  /** Immediate: cuts every connection. */
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  config: Config;
  logger: Logger;
  /** The file `config` was loaded from: watched and reloaded while running. */
  configPath?: string;
  /** File-watch tuning (tests); see src/ops/watch-files.ts. */
  watch?: { debounceMs?: number; pollIntervalMs?: number };
  registry?: Registry;
}

function listen(server: Server, endpoint: Endpoint): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(endpoint.port, endpoint.address, () => {
      server.removeListener('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : endpoint.port);
    });
  });
}

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { config, logger } = opts;
  const app = createApp({ config, logger, ...(opts.registry ? { registry: opts.registry } : {}) });
  // Settle both before deciding: closing while the other listen is still in flight would leak it.
  const webhookListen = config.webhook.enabled ? config.webhook.listen : undefined;
  const [gateway, ops, webhook] = await Promise.allSettled([
    listen(app.server, config.listen),
    listen(app.ops, config.ops),
    app.webhook && webhookListen ? listen(app.webhook.server, webhookListen) : Promise.resolve(undefined),
  ]);
  if (gateway.status === 'rejected' || ops.status === 'rejected' || webhook.status === 'rejected') {
    await app.close();
    throw [gateway, ops, webhook].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }
  const [port, opsPort, webhookPort] = [gateway.value, ops.value, webhook.value];
  const reloader =
    opts.configPath === undefined
      ? undefined
      : createConfigReloader({
          path: opts.configPath,
          source: app.config,
          metrics: app.reloadMetrics,
          logger,
          ...(opts.watch ? { watch: opts.watch } : {}),
        });
  logger.info(
    {
      listen: `${config.listen.address}:${port}`,
      ops: `${config.ops.address}:${opsPort}`,
      ...(webhookListen ? { webhook: `${webhookListen.address}:${webhookPort}` } : {}),
      upstream: config.upstream.server,
      reload: reloader !== undefined,
    },
    'listgate gateway listening',
  );
  let shuttingDown: Promise<ShutdownResult> | undefined;
  return {
    port,
    opsPort,
    webhookPort,
    app,
    reloader,
    shutdown() {
      reloader?.close();
      shuttingDown ??= app.shutdown();
      return shuttingDown;
    },
    async close() {
      reloader?.close();
      await app.close();
    },
  };
}
