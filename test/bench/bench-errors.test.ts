/**
 * A benchmark whose target answers errors fails instead of reporting the errors' speed: the load
 * generator counts failed requests by status and error code against a real HTTPS server, a report that
 * names failures makes the runner exit 1 (its JSON still written), and a scratch run refuses to start a
 * second server under a name still in use (a second gateway's config would overwrite the first's, which
 * reloads it: the protocols benchmark's listgate once answered ~80 % errors that way).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGatewayProcess, writeBenchPki, type BenchPki } from '../../bench/lib/bench-stack.js';
import type { BenchResultFile, Benchmark, BenchReport } from '../../bench/lib/benchmark.js';
import { createClientAgent } from '../../bench/lib/https-client.js';
import { describeErrors, runLoad } from '../../bench/lib/load-generator.js';
import { createProcessGroup } from '../../bench/lib/server-process.js';
import { runBenchmarks } from '../../bench/run.js';

describe('bench: errors are counted, and fail the run', () => {
  let dir: string;
  let pki: BenchPki;
  let server: Server;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-bench-errors-'));
    pki = await writeBenchPki(dir);
    // 200 for /ok, 404 for /missing, the connection cut for /cut.
    server = createServer({ cert: pki.pki.gateway.certPem, key: pki.pki.gateway.keyPem }, (req, res) => {
      if (req.url === '/cut') return req.socket.destroy();
      res.writeHead(req.url === '/ok' ? 200 : 404, { 'content-type': 'text/plain' }).end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the load generator counts failed requests by status and error code', async () => {
    const agent = createClientAgent(pki.user, { maxSockets: 1 });
    try {
      const load = await runLoad({ target: { name: 'mixed', host: '127.0.0.1', port }, agent, paths: ['/ok', '/missing', '/cut'], concurrency: 1, durationMs: 300, warmupMs: 0 });
      assert.ok(load.requests >= 3, `some requests were answered (${load.requests})`);
      assert.deepEqual(Object.keys(load.errorKinds).sort(), ['404', 'ECONNRESET']);
      assert.equal(load.errors, load.errorKinds['404']! + load.errorKinds['ECONNRESET']!);
      // Paths are sent in turn: two of every three fail.
      assert.ok(Math.abs(load.errors - (load.requests * 2) / 3) <= 2, `${load.errors} errors of ${load.requests}`);
      const line = describeErrors('get mixed', load);
      assert.match(line!, new RegExp(`^get mixed: ${load.errors} of ${load.requests} requests failed \\(.*HTTP 404 × ${load.errorKinds['404']}`));
      assert.match(line!, new RegExp(`ECONNRESET × ${load.errorKinds['ECONNRESET']}`));
    } finally {
      agent.destroy();
    }
  });

  it('a target that answers only 200 has no errors and no failure line', async () => {
    const agent = createClientAgent(pki.user, { maxSockets: 2 });
    try {
      const load = await runLoad({ target: { name: 'ok', host: '127.0.0.1', port }, agent, paths: ['/ok'], concurrency: 2, durationMs: 200, warmupMs: 0 });
      assert.ok(load.requests > 0);
      assert.equal(load.errors, 0);
      assert.deepEqual(load.errorKinds, {});
      assert.equal(describeErrors('get ok', load), undefined);
    } finally {
      agent.destroy();
    }
  });

  it('a report that names failures makes the runner exit 1, with its JSON written and the failures printed', async () => {
    const results = join(dir, 'results');
    const report = (failures: string[]): BenchReport => ({ figures: { n: 1 }, ratios: { r: 1 }, goals: [], summary: ['measured'], failures });
    const benchmarks: Benchmark[] = [
      { name: 'clean', description: 'answers without errors', run: () => Promise.resolve(report([])) },
      { name: 'erring', description: 'a target answered errors', run: () => Promise.resolve(report(['get c=16 listgate: 762 of 762 requests failed (ERR_TLS_CERT_ALTNAME_INVALID × 762)'])) },
    ];
    let printed = '';
    const print = (text: string): void => void (printed += text);
    assert.equal(await runBenchmarks(['--quick', '--only', 'clean', '--results', results], { benchmarks, print }), 0);
    assert.equal(await runBenchmarks(['--quick', '--results', results], { benchmarks, print }), 1);
    const file = JSON.parse(readFileSync(join(results, 'erring.json'), 'utf8')) as BenchResultFile;
    assert.deepEqual(file.failures, ['get c=16 listgate: 762 of 762 requests failed (ERR_TLS_CERT_ALTNAME_INVALID × 762)']);
    assert.match(printed, /FAILED get c=16 listgate: 762 of 762 requests failed/);
    assert.doesNotMatch(printed, /FAILED.*clean/);
  });

  it('two gateways in one scratch dir under one name: the second is refused before it writes its config', async () => {
    const group = createProcessGroup();
    const scratch = mkdtempSync(join(dir, 'scratch-'));
    try {
      // A running server named `gateway` (a plain process: the name is what counts).
      await group.spawn({ name: 'gateway', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], dir: scratch, ready: () => Promise.resolve(true) });
      await assert.rejects(startGatewayProcess(group, { dir: scratch, pki, upstream: { url: 'https://127.0.0.1:1' } }), /a server named gateway is already running/);
      assert.equal(existsSync(join(scratch, 'gateway.yaml')), false, 'the first gateway’s config name was left alone');
    } finally {
      await group.stopAll();
    }
  });
});
