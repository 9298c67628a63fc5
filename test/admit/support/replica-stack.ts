/**
 * Gateway replicas sharing one budget through one real Redis, in front of one simulator: the demo stack
 * (the simulator and the first replica) with `admission.sharedBudget` in its config, and more replicas
 * started in this process from the same config file. Each replica has its own admission, Redis
 * connections and ops port, as a process would.
 */
import { loadConfigFile } from '../../../src/config/config.js';
import { createLogger } from '../../../src/log.js';
import { startGateway, type RunningGateway } from '../../../src/serve.js';
import type { SeedOptions } from '../../../src/simulator/simulator.js';
import { startRedisServer, type RedisServer } from '../../../bench/lib/redis-server.js';
import { startE2EStack, type E2EStack } from '../../support/e2e-stack.js';

export interface ReplicaStack {
  stack: E2EStack;
  redis: RedisServer;
  keyPrefix: string;
  /** The first is the demo stack's own gateway. */
  gatewayUrls: string[];
  opsUrls: string[];
  close(): Promise<void>;
}

export async function startReplicaStack(opts: {
  replicas: number;
  seed: SeedOptions;
  oomLimitBytes: number;
  admission: Record<string, unknown>;
  sharedBudget?: Record<string, unknown>;
}): Promise<ReplicaStack> {
  const redis = await startRedisServer();
  const keyPrefix = `replicas-${process.pid}:`;
  const more: RunningGateway[] = [];
  let stack: E2EStack | undefined;
  try {
    stack = await startE2EStack({
      seed: opts.seed,
      oomLimitBytes: opts.oomLimitBytes,
      admission: { ...opts.admission, sharedBudget: { address: redis.address, keyPrefix, expectedReplicas: opts.replicas, ...opts.sharedBudget } },
    });
    const config = await loadConfigFile(stack.configPath);
    for (let i = 1; i < opts.replicas; i++) more.push(await startGateway({ config, logger: createLogger({ level: 'silent' }) }));
  } catch (err) {
    await Promise.all(more.map((g) => g.close()));
    await stack?.close();
    await redis.stop();
    throw err;
  }
  const first = stack;
  return {
    stack: first,
    redis,
    keyPrefix,
    gatewayUrls: [first.gatewayUrl, ...more.map((g) => `https://127.0.0.1:${g.port}`)],
    opsUrls: [first.opsUrl, ...more.map((g) => `http://127.0.0.1:${g.opsPort}`)],
    async close() {
      await Promise.all(more.map((g) => g.close()));
      await first.close();
      await redis.stop();
    },
  };
}
