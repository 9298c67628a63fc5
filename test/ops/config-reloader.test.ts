/**
 * The config reloader against real files laid out like a ConfigMap volume: a valid change is applied
 * with the keys that changed, a restart-only change is logged as such, an invalid file is refused with
 * every issue while the last good config stays, a rotated certificate (config unchanged) is picked up,
 * and the reload metrics say all of it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { issueServingCert } from '../../src/certs/pki.js';
import { createConfigSource, type ConfigSource } from '../../src/config/config-source.js';
import { loadConfigSnapshot } from '../../src/config/load-config-file.js';
import { createConfigReloader, type ConfigReloader } from '../../src/ops/config-reloader.js';
import { createReloadMetrics } from '../../src/ops/reload-metrics.js';
import { eventually, type LogRecord } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { createConfigMapDir, type ConfigMapDir } from './configmap-dir.js';

const yaml = (pki: GatewayTestPki, opts: { level?: string; port?: number; extra?: string } = {}) => `
listen: { address: 127.0.0.1, port: ${opts.port ?? 8443} }
tls: { certFile: ${join(pki.dir, pki.files.gatewayCert)}, keyFile: ${join(pki.dir, pki.files.gatewayKey)} }
upstream:
  server: https://127.0.0.1:6443
  caFile: ${join(pki.dir, pki.files.upstreamCa)}
  clientCertFile: ${join(pki.dir, pki.files.clientCert)}
  clientKeyFile: ${join(pki.dir, pki.files.clientKey)}
identity: { mode: insecure }
logging: { level: ${opts.level ?? 'info'} }
${opts.extra ?? ''}`;

describe('config reloader', () => {
  let pki: GatewayTestPki;
  let volume: ConfigMapDir;
  let source: ConfigSource;
  let reloader: ConfigReloader;
  const registry = new Registry();
  const logs: LogRecord[] = [];
  const metric = async (name: string, labels = '') => {
    const text = await registry.metrics();
    const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };

  before(async () => {
    pki = createGatewayTestPki();
    volume = createConfigMapDir(join(pki.dir, 'config'), { 'listgate.yaml': yaml(pki) });
    source = createConfigSource(await loadConfigSnapshot(volume.path('listgate.yaml')));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogRecord);
        done();
      },
    });
    const metrics = createReloadMetrics(registry);
    metrics.succeeded(Date.now(), { initial: true });
    reloader = createConfigReloader({
      path: volume.path('listgate.yaml'),
      source,
      metrics,
      logger: pino({ level: 'info' }, sink),
      watch: { debounceMs: 50, pollIntervalMs: 0 },
    });
  });
  after(() => {
    reloader.close();
    pki.cleanup();
  });

  it('applies a valid change made the ConfigMap way, and says which keys changed', async () => {
    assert.equal(await metric('listgate_config_reloads_total', '{result="success"}'), 0);
    volume.write({ 'listgate.yaml': yaml(pki, { level: 'debug' }) });
    await eventually(() => source.current().logging.level === 'debug', 3000, 'the new log level');
    const line = logs.find((l) => l.msg === 'configuration reloaded');
    assert.deepEqual(line?.changed, ['logging.level']);
    assert.equal(await metric('listgate_config_reloads_total', '{result="success"}'), 1);
    assert.equal(await metric('listgate_config_last_reload_successful'), 1);
  });

  it('refuses an invalid file with every issue, keeps the last good config, and counts the failure', async () => {
    const before = source.snapshot();
    volume.write({ 'listgate.yaml': yaml(pki, { level: 'loud', port: 70000, extra: 'bogus: true\n' }) });
    await eventually(() => logs.some((l) => l.msg.startsWith('configuration reload refused')), 3000, 'the refusal');
    const refusal = logs.find((l) => l.msg.startsWith('configuration reload refused'))!;
    assert.equal(refusal.level, 50);
    assert.deepEqual(
      (refusal.issues as { path: string }[]).map((i) => i.path),
      ['listen.port', 'logging.level', 'bogus'],
    );
    assert.equal(source.snapshot(), before, 'the last good snapshot stays');
    assert.equal(await metric('listgate_config_reloads_total', '{result="failure"}'), 1);
    assert.equal(await metric('listgate_config_last_reload_successful'), 0);
  });

  it('applies the next valid file, and logs a listen change as needing a restart', async () => {
    const outcome = await (async () => {
      volume.write({ 'listgate.yaml': yaml(pki, { level: 'debug', port: 9443 }) });
      return reloader.reload();
    })();
    assert.deepEqual(outcome, { applied: true, changed: ['listen.port'], restartRequired: ['listen.port'] });
    const warning = logs.find((l) => l.key === 'listen.port');
    assert.equal(warning?.level, 40);
    assert.match(warning?.msg ?? '', /listen\.port changed .* takes effect only after a restart/);
    assert.equal(await metric('listgate_config_last_reload_successful'), 1);
  });

  it('puts the last good config back when a component fails to apply a valid one', async () => {
    const unsubscribe = source.subscribe((next) => {
      if (next.config.logging.level === 'warn') throw new Error('cannot build the request path');
    });
    try {
      const failuresBefore = (await metric('listgate_config_reloads_total', '{result="failure"}'))!;
      volume.write({ 'listgate.yaml': yaml(pki, { level: 'warn', port: 9443 }) });
      const outcome = await reloader.reload();
      assert.deepEqual(outcome, { applied: false, issues: [{ path: '<apply>', message: 'cannot build the request path' }] });
      assert.equal(source.current().logging.level, 'debug', 'the last good config is back');
      assert.equal(await metric('listgate_config_reloads_total', '{result="failure"}'), failuresBefore + 1);
      assert.equal(await metric('listgate_config_last_reload_successful'), 0);
    } finally {
      unsubscribe();
    }
    volume.write({ 'listgate.yaml': yaml(pki, { level: 'debug', port: 9443 }) });
    await reloader.reload();
  });

  it('picks up a rotated serving certificate while the config file stays the same', async () => {
    const rotated = issueServingCert(pki.gatewayCa);
    writeFileSync(join(pki.dir, pki.files.gatewayKey), rotated.keyPem);
    writeFileSync(join(pki.dir, pki.files.gatewayCert), rotated.certPem);
    await eventually(() => source.snapshot().files.serving.cert === rotated.certPem, 3000, 'the rotated certificate');
    const line = logs.filter((l) => l.msg === 'configuration reloaded').at(-1);
    // The file watcher may fold the previous test's last write into this reload: only the files are asserted.
    assert.deepEqual((line?.changed as string[]).filter((c) => c.startsWith('file contents')), ['file contents: serving.cert', 'file contents: serving.key']);
    assert.doesNotMatch(JSON.stringify(logs), /BEGIN (RSA )?PRIVATE KEY/, 'never the contents');
  });
});
