/**
 * The gateway as its own process, for tests that measure it from outside (memory): loads the config
 * file given as the first argument, starts the gateway, prints `{"port":…,"opsPort":…}` on one stdout
 * line, and shuts down on SIGTERM or when its stdin closes (the parent went away).
 */
import { pino } from 'pino';
import { loadConfigFile } from '../../src/config/config.js';
import { startGateway } from '../../src/serve.js';

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: gateway-child <config.yaml>');
  const config = await loadConfigFile(configPath);
  const logger = pino({ level: config.logging.level }, pino.destination(2));
  const gateway = await startGateway({ config, logger });
  process.stdout.write(`${JSON.stringify({ port: gateway.port, opsPort: gateway.opsPort })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
