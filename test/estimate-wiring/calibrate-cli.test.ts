/**
 * `listgate calibrate` against the simulator, whose memory is modeled with the CALIBRATION.md factors
 * (src/simulator/memory-model.ts MEMORY_FACTORS): it must recover them from the simulator's /metrics,
 * tell that this server serves consistent LISTs from etcd (it reports 1.32 but does), and print a YAML
 * snippet that is a valid `estimator` section giving the estimator those factors.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import { parseConfig } from '../../src/config/config.js';
import { createEstimator } from '../../src/estimate/create-estimator.js';
import { MEMORY_FACTORS } from '../../src/simulator/memory-model.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const CLI = resolve('dist/src/cli.js');

describe('listgate calibrate against the simulator', () => {
  let sim: TestSimulator;
  let dir: string;
  let run: { code: number; stdout: string; stderr: string };
  before(async () => {
    // ~20 MiB per full list: larger than the socket buffers, so a held response stays held.
    sim = await startTestSimulator({ seed: { namespaces: 3, secrets: 160, secretSize: 96 * 1024, configmaps: 2, pods: 2 }, gcHoldMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'listgate-calibrate-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, { name: 'sim', server: sim.url, caPem: sim.caPem, user: sim.admin });
    const args = ['calibrate', '--kubeconfig', kubeconfig, '--resource', 'secrets', '--samples', '2', '--max-concurrency', '2', '--settle', '0s', '--interval', '20ms'];
    run = await new Promise((done) => {
      execFile('node', [CLI, ...args], { timeout: 40_000 }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recovers the simulated factors from its /metrics, at rising concurrency', () => {
    assert.equal(run.code, 0, run.stderr);
    const doc = parse(run.stdout) as { estimator: { factors: { versions: Record<string, { amplification: { json: { etcd: number; cache: number } }; consistentListFromCache: boolean; source: string }> } } };
    const profile = doc.estimator.factors.versions['1.32'];
    assert.ok(profile, run.stdout);
    assert.ok(Math.abs(profile.amplification.json.etcd - MEMORY_FACTORS.json.etcd) <= 0.15, `etcd ${profile.amplification.json.etcd}`);
    assert.ok(Math.abs(profile.amplification.json.cache - MEMORY_FACTORS.json.cache) <= 0.1, `cache ${profile.amplification.json.cache}`);
    assert.equal(profile.consistentListFromCache, false, 'a consistent LIST costs what an etcd read does here');
    assert.match(profile.source, /listgate calibrate .*secrets, N=1–2, simulator_inflight_response_bytes/);
    assert.match(run.stdout, new RegExp(`^# from etcd: N=1 ${MEMORY_FACTORS.json.etcd.toFixed(1).replace('.', '\\.')}\\d×, N=2 ${MEMORY_FACTORS.json.etcd.toFixed(1).replace('.', '\\.')}\\d×`, 'm'));
    assert.match(run.stderr, /cache N=2: \d+ B per response/);
    assert.equal(sim.sim.stats.oomKills(), 0);
  });

  it('sends the LISTs it says: etcd (Exact), consistent, resourceVersion=0 and a continued page, and reads every held one out', () => {
    const lists = sim.sim.stats.requests().filter((r) => r.path.startsWith('/api/v1/secrets'));
    const kinds = new Set(lists.map((r) => r.path.replace(/resourceVersion=[1-9]\d*/, 'resourceVersion=RV').replace(/continue=[^&]+/, 'continue=TOKEN')));
    assert.deepEqual([...kinds].sort(), [
      '/api/v1/secrets',
      '/api/v1/secrets?limit=1',
      '/api/v1/secrets?limit=20',
      '/api/v1/secrets?limit=20&continue=TOKEN',
      '/api/v1/secrets?resourceVersion=0',
      '/api/v1/secrets?resourceVersion=RV&resourceVersionMatch=Exact',
    ]);
    assert.ok(lists.every((r) => r.code === 200));
    assert.equal(sim.sim.stats.inflightResponseBytes(), 0, 'nothing left held');
  });

  it('prints a snippet that is a valid estimator section, giving the estimator the measured factors', () => {
    const { estimator } = parse(run.stdout) as { estimator: unknown };
    const config = parseConfig({ tls: { certFile: 'c', keyFile: 'k' }, upstream: { server: sim.url, tokenFile: 't' }, identity: { mode: 'insecure' }, estimator }, { baseDir: dir });
    const e = createEstimator({ settings: config.estimator, registry: new Registry(), now: () => 0, upstreamVersion: 'v1.32.4' });
    assert.equal(e.factors().profile.fromVersion, '1.32');
    assert.equal(e.factors().profile.consistentListFromCache, false);
    assert.ok(Math.abs(e.factors().profile.amplification.json.etcd - MEMORY_FACTORS.json.etcd) <= 0.15);
  });
});
