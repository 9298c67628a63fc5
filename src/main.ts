/**
 * The gateway process: load config → build dependencies → listen (and watch the config) → on SIGTERM or
 * SIGINT, shut down gracefully and return (the CLI exits 0). A second signal during the drain cuts
 * everything at once.
 */
import { loadClientNode } from './auth/client-node.js';
import { untilSignal } from './cli/lifecycle.js';
import { loadConfigFile } from './config/config.js';
import { createLogger } from './log.js';
import { startGateway } from './serve.js';

export async function runGateway(opts: { configPath: string }): Promise<void> {
  const config = await loadConfigFile(opts.configPath);
  const logger = createLogger({ level: config.logging.level, asyncStdout: true });
  // TokenReviews and SubjectAccessReviews need @kubernetes/client-node (~80 MiB of RSS, most of a second
  // of CPU to load): a gateway that makes them loads it beside starting up and is ready once it has, so
  // neither its first request nor its memory once serving carries that cost.
  const reviews = config.authentication.tokenReview.enabled || config.authorization.enabled;
  let reviewClient: 'loading' | 'loaded' | Error = 'loading';
  if (reviews) {
    loadClientNode().then(
      () => (reviewClient = 'loaded'),
      (err: unknown) => (reviewClient = err instanceof Error ? err : new Error(String(err))),
    );
  }
  const gateway = await startGateway({ config, logger, configPath: opts.configPath });
  if (reviews) {
    gateway.app.readiness.add('review-client', () =>
      reviewClient === 'loaded'
        ? { ok: true, detail: 'ok' }
        : { ok: false, detail: reviewClient === 'loading' ? 'loading @kubernetes/client-node for TokenReviews and SubjectAccessReviews' : `@kubernetes/client-node did not load: ${reviewClient.message}` },
    );
  }
  logger.info({ port: gateway.port, opsPort: gateway.opsPort, ...(gateway.webhookPort !== undefined ? { webhookPort: gateway.webhookPort } : {}), upstream: config.upstream.server }, 'listgate serving');
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  const shutdown = gateway.shutdown();
  void untilSignal().then(async (again) => {
    logger.warn({ signal: again }, 'second signal: cutting every connection now');
    await gateway.close();
  });
  await shutdown;
}
