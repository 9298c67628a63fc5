/**
 * A replica killed (SIGKILL, a real gateway process) while it holds a lease in the shared budget: the
 * lease stays in Redis no longer than its expiry (the last renewal plus the lease TTL, by Redis's clock),
 * then the other replica's scripts drop it and its bytes come back to the whole budget.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, metric } from './support/admission-stack.js';
import { startReplicaStack, type ReplicaStack } from './support/replica-stack.js';
import { redisHoldings } from './support/shared-stack.js';

const TTL_MS = 2_000;

describe('a replica killed with leases held', () => {
  let r: ReplicaStack;
  let child: ChildProcessWithoutNullStreams | undefined;
  before(async () => {
    r = await startReplicaStack({
      replicas: 1,
      // Enough JSON (~11 MB) that a client not reading keeps the response, and its lease, open.
      seed: { secrets: 32, secretSize: 256 * 1024, namespaces: 1, configmaps: 0, pods: 0 },
      oomLimitBytes: 2 * 1024 ** 3,
      admission: { budget: '1Gi', initialHoldTime: '200ms', holdOver: '0s' },
      sharedBudget: { leaseTTL: `${TTL_MS}ms`, renewInterval: '500ms', commandTimeout: '200ms', expectedReplicas: 2 },
    });
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await r?.close();
  });

  it('its leases expire in Redis within the lease TTL and their bytes come back', async () => {
    const entry = fileURLToPath(new URL('../support/gateway-child.js', import.meta.url));
    const proc = spawn(process.execPath, [entry, r.stack.configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout }).once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
    });
    const { port } = JSON.parse(first) as { port: number };

    // A LIST through the child whose client reads nothing: the response waits on backpressure, leased.
    const stalled: ClientRequest = request({ host: '127.0.0.1', port, path: '/api/v1/secrets', ca: r.stack.pki.ca.certPem, cert: r.stack.pki.user.certPem, key: r.stack.pki.user.keyPem, agent: false, headers: { Accept: 'application/json' } }, (res) => res.pause());
    stalled.on('error', () => undefined);
    stalled.end();
    const childLeases = async () => Object.entries((await redisHoldings(r.redis, r.keyPrefix)).byReplica).filter(([name, bytes]) => name.includes(`-${proc.pid}-`) && bytes > 0);
    const held = await eventually(async () => (await childLeases()).length, 1, 20_000);
    assert.equal(held, 1, 'the child holds its lease in Redis');
    const survivorSees = () => metric(r.opsUrls[0]!, 'listgate_shared_budget_leases');
    assert.equal(await eventually(survivorSees, 1, 5_000), 1, 'the other replica counts it in the whole budget');

    const client = new Redis({ host: '127.0.0.1', port: r.redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    try {
      proc.kill('SIGKILL');
      await exited;
      const [seconds, micros] = await client.time();
      const killedAt = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const [name] = (await childLeases())[0]!;
      const expiries = await client.zrange(`${r.keyPrefix}o:${name}:expiry`, 0, -1, 'WITHSCORES');
      assert.ok(expiries.length >= 2, 'the lease has an expiry');
      for (let i = 1; i < expiries.length; i += 2) assert.ok(Number(expiries[i]) <= killedAt + TTL_MS, `expires at ${expiries[i]}, killed at ${killedAt}: within the TTL`);

      // The surviving replica's renewals purge it once expired: the whole budget has its bytes back.
      assert.equal(await eventually(async () => (await childLeases()).length, 0, 20_000), 0, 'the dead replica’s lease is gone from Redis');
      assert.equal(await eventually(survivorSees, 0, 5_000), 0, 'the survivor sees the whole budget free');
      assert.equal(await metric(r.opsUrls[0]!, 'listgate_shared_budget_in_use_bytes'), 0);
      assert.equal(await eventually(() => metric(r.opsUrls[0]!, 'listgate_shared_budget_replicas'), 1, 5_000), 1, 'and counts one replica');
    } finally {
      stalled.destroy();
      client.disconnect();
    }
  });
});
