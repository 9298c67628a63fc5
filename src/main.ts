/**
 * The gateway process: load config → build dependencies → listen (and watch the config) → on SIGTERM or
 * SIGINT, shut down gracefully and return (the CLI exits 0). A second signal during the drain cuts
 * everything at once.
 */
import { untilSignal } from './cli/lifecycle.js';
import { loadConfigFile } from './config/config.js';
import { createLogger } from './log.js';
import { startGateway } from './serve.js';

export async function runGateway(opts: { configPath: string }): Promise<void> {
  const config = await loadConfigFile(opts.configPath);
  const logger = createLogger({ level: config.logging.level, asyncStdout: true });
  const gateway = await startGateway({ config, logger, configPath: opts.configPath });
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
