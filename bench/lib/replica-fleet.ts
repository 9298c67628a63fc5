/**
 * Several gateway replicas (processes) in front of one simulator (a process), their budget either shared
 * through one Redis (`admission.sharedBudget`) or split statically (each its own budget ÷ N, no Redis):
 * the in-front topology of docs/operations.md, on loopback. Used by the multi-replica tests (scaled down)
 * and the shared-budget benchmark (full size).
 */
import type { Target } from './https-client.js';
import { admissionSections } from './admission-section.js';
import { startGatewayProcess, startSimulatorProcess, writeBenchPki, type BenchPki, type GatewayProcess, type SimulatorProcess, type SimulatorSeed } from './bench-stack.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import type { ProcessGroup } from './server-process.js';

export interface FleetOptions {
  dir: string;
  group: ProcessGroup;
  replicas: number;
  seed: SimulatorSeed;
  oomLimitBytes: number;
  /** The one budget: shared by every replica, or split into budget ÷ replicas each. */
  budgetBytes: number;
  mode: 'shared' | 'split';
  /** More of the admission section (initialHoldTime, holdOver, levels…). */
  admission?: Record<string, unknown>;
  /** More of admission.sharedBudget (timings). */
  sharedBudget?: Record<string, unknown>;
  /** An estimator section for every replica. */
  estimator?: Record<string, unknown>;
  /** A Redis to use (the caller's); otherwise the fleet starts one when shared. */
  redis?: RedisServer;
  logLevel?: string;
}

export interface Fleet {
  pki: BenchPki;
  sim: SimulatorProcess;
  gateways: GatewayProcess[];
  redis: RedisServer | undefined;
  keyPrefix: string;
  targets: Target[];
  /** Stops what the fleet started (the group stops the processes). */
  close(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const pki = await writeBenchPki(opts.dir);
  const owned = opts.mode === 'shared' && !opts.redis;
  const redis = opts.mode === 'shared' ? (opts.redis ?? (await startRedisServer())) : undefined;
  const keyPrefix = `fleet-${process.pid}-${Date.now()}:`;
  try {
    const sim = await startSimulatorProcess(opts.group, { dir: opts.dir, pki, seed: opts.seed, oomLimitBytes: opts.oomLimitBytes, name: 'simulator' });
    const perReplica = opts.mode === 'shared' ? opts.budgetBytes : Math.floor(opts.budgetBytes / opts.replicas);
    const base = admissionSections(perReplica).admission as Record<string, unknown>;
    const admission = {
      ...base,
      ...opts.admission,
      ...(redis ? { sharedBudget: { address: redis.address, keyPrefix, expectedReplicas: opts.replicas, ...opts.sharedBudget } } : {}),
    };
    const gateways = await Promise.all(
      Array.from({ length: opts.replicas }, (_, i) =>
        startGatewayProcess(opts.group, { dir: opts.dir, pki, upstream: sim, sections: { admission, ...(opts.estimator ? { estimator: opts.estimator } : {}) }, name: `gateway-${i}`, logLevel: opts.logLevel ?? 'info' }),
      ),
    );
    return {
      pki,
      sim,
      gateways,
      redis,
      keyPrefix,
      targets: gateways.map((g) => g.target),
      async close() {
        if (owned) await redis?.stop();
      },
    };
  } catch (err) {
    if (owned) await redis?.stop();
    throw err;
  }
}

