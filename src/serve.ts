/**
 * Listens: the gateway on config.listen, the ops server on config.ops (port 0 picks a free port), and
 * returns the ports actually bound.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import type { Config, Endpoint } from './config/parse-config.js';

export interface RunningGateway {
  port: number;
  opsPort: number;
  close(): Promise<void>;
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

export async function startGateway(deps: { config: Config; logger: Logger }): Promise<RunningGateway> {
  const { config, logger } = deps;
  const app = createApp({ config, logger });
  // Settle both before deciding: closing while the other listen is still in flight would leak it.
  const [gateway, ops] = await Promise.allSettled([listen(app.server, config.listen), listen(app.ops, config.ops)]);
  if (gateway.status === 'rejected' || ops.status === 'rejected') {
    await app.close();
    throw gateway.status === 'rejected' ? gateway.reason : (ops as PromiseRejectedResult).reason;
  }
  const [port, opsPort] = [gateway.value, ops.value];
  logger.info(
    { listen: `${config.listen.address}:${port}`, ops: `${config.ops.address}:${opsPort}`, upstream: config.upstream.server },
    'listgate gateway listening',
  );
  return { port, opsPort, close: () => app.close() };
}
