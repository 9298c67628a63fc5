/**
 * Hot reload of a real `listgate serve` process while requests flow through it. The config is mounted
 * the way the kubelet writes a ConfigMap volume (a new `..data_tmp` folder renamed over `..data`):
 * - a valid change (log level info → debug, and the upstream moved to a second simulator) takes effect
 *   without a failed request;
 * - an invalid file is refused: the old config stays (still debug, still the second simulator),
 *   `listgate_config_reloads_total{result="failure"}` goes to 1, and the log says why;
 * - a valid file after it is applied again, and SIGTERM still exits 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { createConfigMapDir } from './configmap-dir.js';
import { freePort, gatewayFiles, processConfig, spawnGateway, type GatewayFileSet, type GatewayProcess } from './gateway-process.js';
import { startLoad } from './load-client.js';

/** Resolves once `check` holds (the load runs on its own); fails after 20 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), what);
}

async function metric(opsPort: number, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('hot reload of a gateway process under traffic', () => {
  let dir: string;
  let first: TestSimulator;
  let second: TestSimulator;
  let files: GatewayFileSet;
  let gateway: GatewayProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-reload-'));
    [first, second] = await Promise.all([
      startTestSimulator({ seed: { secrets: 5, secretSize: 256, namespaces: 1, configmaps: 3, pods: 1 } }),
      startTestSimulator({ seed: { secrets: 5, secretSize: 256, namespaces: 1, configmaps: 3, pods: 1 } }),
    ]);
    files = gatewayFiles(dir);
  });
  after(async () => {
    gateway?.child.kill('SIGKILL');
    await Promise.all([first.close(), second.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a valid change, refuses an invalid one keeping the last good config, and never fails a request', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const config = (sim: TestSimulator, level: string) =>
      processConfig({ files, upstream: files.upstream(sim, sim === first ? 'first' : 'second'), port, opsPort, level, shutdown: { readinessGracePeriod: '100ms' } });
    // The certificate files live beside the volume; the config names them by absolute path.
    const absolute = (yaml: string) => yaml.replace(/(certFile|keyFile|caFile|clientCertFile|clientKeyFile): (\S+)/g, `$1: ${dir}/$2`);
    const volume = createConfigMapDir(join(dir, 'config'), { 'listgate.yaml': absolute(config(first, 'info')) });
    gateway = await spawnGateway(volume.path('listgate.yaml'));
    const target = { name: 'gw', port: gateway.port, opsPort: gateway.opsPort };
    const load = startLoad({ targets: [target], ca: files.servingCa.certPem, paths: ['/api/v1/namespaces/default/configmaps', '/api/v1/secrets', '/version'], workers: 3 });
    try {
      await until(() => first.sim.stats.requests().length > 10, 'traffic reaches the first simulator');
      assert.equal(gateway.logs.filter((l) => l.level === 20).length, 0, 'no debug lines at info');

      // 1. A valid change: debug logging and another upstream.
      volume.write({ 'listgate.yaml': absolute(config(second, 'debug')) });
      const reloaded = await gateway.waitForLog((l) => l.msg === 'configuration reloaded', 5000);
      assert.ok((reloaded.changed as string[]).includes('logging.level'));
      assert.ok((reloaded.changed as string[]).includes('upstream.server'));
      await until(() => second.sim.stats.requests().length > 10, 'new requests reach the second simulator');
      await until(() => gateway!.logs.some((l) => l.level === 20 && l.msg === 'request received'), 'debug lines after the change');
      assert.equal(await metric(opsPort, 'listgate_config_reloads_total{result="success"}'), 1);

      // 2. An invalid file: refused with its issues, the last good config stays.
      volume.write({ 'listgate.yaml': `${absolute(config(first, 'info')).replace('port: ' + String(opsPort), 'port: 99999')}surprise: true\n` });
      const refusal = await gateway.waitForLog((l) => l.msg.startsWith('configuration reload refused'), 5000);
      assert.deepEqual(
        (refusal.issues as { path: string }[]).map((i) => i.path).sort(),
        ['ops.port', 'surprise'],
      );
      assert.equal(await metric(opsPort, 'listgate_config_reloads_total{result="failure"}'), 1);
      assert.equal(await metric(opsPort, 'listgate_config_last_reload_successful'), 0);
      const secondBefore = second.sim.stats.requests().length;
      const firstBefore = first.sim.stats.requests().length;
      await until(() => second.sim.stats.requests().length > secondBefore + 10, 'still the second simulator');
      assert.equal(first.sim.stats.requests().length, firstBefore, 'the refused file did not switch back');
      const debugLines = gateway.logs.filter((l) => l.level === 20).length;
      await until(() => gateway!.logs.filter((l) => l.level === 20).length > debugLines, 'still logging at debug');

      // 3. A valid file again is applied, and the success is recorded.
      volume.write({ 'listgate.yaml': absolute(config(second, 'info')) });
      await gateway.waitForLog((l) => l.msg === 'configuration reloaded' && (l.changed as string[]).join() === 'logging.level', 5000);
      assert.equal(await metric(opsPort, 'listgate_config_last_reload_successful'), 1);
      assert.equal(await metric(opsPort, 'listgate_config_reloads_total{result="success"}'), 2);
    } finally {
      await load.stop();
    }
    assert.deepEqual(load.stats.failures, [], 'no request failed across the reloads');
    assert.ok(load.stats.ok > 30, `traffic flowed (${load.stats.ok} requests)`);
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 0);
  });
});
