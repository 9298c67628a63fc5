/**
 * The gateway process: load config → build dependencies → listen → drain on SIGTERM. Wiring only.
 */
import { untilSignal } from './cli/lifecycle.js';
import { loadConfigFile } from './config/config.js';
import { createLogger } from './log.js';
import { startGateway } from './serve.js';

export async function runGateway(opts: { configPath: string; pretty?: boolean }): Promise<void> {
  const config = await loadConfigFile(opts.configPath);
  const logger = createLogger({ level: config.logging.level, pretty: opts.pretty ?? false });
  const gateway = await startGateway({ config, logger });
  logger.info({ port: gateway.port, opsPort: gateway.opsPort, upstream: config.upstream.server }, 'listgate serving');
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await gateway.close();
}
