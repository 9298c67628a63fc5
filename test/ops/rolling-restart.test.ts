/**
 * A rolling restart of two real `listgate serve` processes in front of one simulator, under steady
 * non-watch traffic from a client that follows readiness and moves to the other gateway when a
 * connection is refused: SIGTERM one gateway mid-traffic, restart it, then the other. No non-watch
 * request may fail, every process exits 0, and a watch open on a gateway that shuts down ends cleanly
 * (a terminated chunked body) so its client can re-watch on the other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { freePort, gatewayFiles, processConfig, spawnGateway, type GatewayFileSet, type GatewayProcess } from './gateway-process.js';
import { startLoad, type Target } from './load-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a watch; resolves once its headers are in, with how it ended (`complete`: terminated cleanly). */
function openWatch(port: number, ca: string): Promise<{ events: () => number; ended: Promise<{ complete: boolean; error?: string }> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true', ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      const ended = new Promise<{ complete: boolean; error?: string }>((done) => {
        res.on('end', () => {
          // Every byte received must be whole events: the gateway never cuts one in half.
          const whole = text === '' || (text.endsWith('\n') && text.trim().split('\n').every((l) => JSON.parse(l) !== undefined));
          done({ complete: res.complete && whole });
        });
        res.on('aborted', () => done({ complete: false, error: 'aborted' }));
        res.on('error', (err) => done({ complete: false, error: err.message }));
      });
      resolve({ events: () => text.split('\n').filter(Boolean).length, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rolling restart of two gateway processes', () => {
  let dir: string;
  let sim: TestSimulator;
  let files: GatewayFileSet;
  const configs: Record<string, { path: string; target: Target }> = {};
  const running: GatewayProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-rolling-'));
    sim = await startTestSimulator({ seed: { secrets: 20, secretSize: 1024, namespaces: 2, configmaps: 10, pods: 3 } });
    files = gatewayFiles(dir);
    const upstream = files.upstream(sim, 'sim');
    for (const name of ['a', 'b']) {
      const [port, opsPort] = [await freePort(), await freePort()];
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, processConfig({ files, upstream, port, opsPort, shutdown: { readinessGracePeriod: '400ms', drainTimeout: '5s' } }));
      configs[name] = { path, target: { name, port, opsPort } };
    }
  });
  after(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (name: string) => {
    const gateway = await spawnGateway(configs[name]!.path);
    running.push(gateway);
    return gateway;
  };
  const untilReady = async (target: Target) => {
    for (let i = 0; i < 200; i++) {
      const status = await fetch(`http://127.0.0.1:${target.opsPort}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) return;
      await sleep(25);
    }
    throw new Error(`${target.name} never became ready`);
  };

  it('loses no non-watch request, exits 0 each time, and ends watches cleanly', async () => {
    const gateways: Record<string, GatewayProcess> = { a: await start('a'), b: await start('b') };
    await Promise.all(['a', 'b'].map((n) => untilReady(configs[n]!.target)));
    const load = startLoad({
      targets: [configs.a!.target, configs.b!.target],
      ca: files.servingCa.certPem,
      paths: ['/api/v1/namespaces/default/configmaps', '/api/v1/secrets?limit=10', '/api/v1/namespaces/ns-0/pods', '/api', '/version'],
      workers: 4,
    });
    const exits: (number | null)[] = [];
    const watchEnds: { complete: boolean; error?: string }[] = [];
    try {
      await sleep(800);
      for (const name of ['a', 'b']) {
        const watch = await openWatch(configs[name]!.target.port, files.servingCa.certPem);
        const before = load.stats.perTarget[name] ?? 0;
        await sleep(300);
        gateways[name]!.child.kill('SIGTERM');
        exits.push(await gateways[name]!.exited);
        watchEnds.push(await watch.ended);
        const refused = load.stats.refused;
        assert.notEqual(await load.sendVia(name, '/api'), name, `with ${name} down, a request sent there moves to the other`);
        assert.equal(load.stats.refused, refused + 1, 'after its connection was refused');
        assert.ok(watch.events() > 0, 'the watch delivered its initial events');
        assert.ok((load.stats.perTarget[name] ?? 0) > before, `${name} served traffic before it stopped`);
        gateways[name] = await start(name);
        await untilReady(configs[name]!.target);
        const restartedAt = load.stats.perTarget[name] ?? 0;
        await sleep(600);
        assert.ok((load.stats.perTarget[name] ?? 0) > restartedAt, `the restarted ${name} takes traffic again`);
      }
    } finally {
      await load.stop();
    }
    const { stats } = load;
    assert.deepEqual(stats.failures, [], 'no non-watch request failed');
    assert.ok(stats.ok > 200, `steady traffic (${stats.ok} requests)`);
    assert.deepEqual(exits, [0, 0], 'each SIGTERM ends the process with 0');
    assert.deepEqual(watchEnds, [{ complete: true }, { complete: true }], 'watches end cleanly, never reset');
    const shutdownLogs = running.slice(0, 2).map((p) => p.logs.find((l) => l.msg === 'shutdown complete'));
    for (const line of shutdownLogs) assert.equal(line?.drained, true, 'drained within the timeout');
    for (const gateway of Object.values(gateways)) {
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0);
    }
    // What the client saw, for the record: moves after a refused connection, retries of stale keep-alives.
    process.stdout.write(`# rolling restart: ${stats.ok} ok, ${stats.refused} refused→moved, ${stats.staleConnection} stale keep-alive retries\n`);
  });
});
