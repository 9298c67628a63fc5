/**
 * The real-apiserver storm benchmark's quick mode runs end to end (`npm run bench -- --quick --only
 * storm-kube`, a kube-apiserver from KUBEBUILDER_ASSETS in a 1.25 GiB cgroup, 60 Secrets, 4 + 4 clients)
 * and writes well-formed results: three runs with memory sampled, single LISTs measured in every mode
 * with the gateway's estimate found for each, `listgate calibrate`'s result, and the chart. Performance
 * numbers are never asserted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';

const RUNNER = resolve('dist/bench/run.js');

describe('npm run bench -- --quick --only storm-kube', { timeout: 15 * 60_000 }, () => {
  let dir: string;
  let output: { code: number; stdout: string; stderr: string };
  let file: BenchResultFile;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-bench-storm-kube-'));
    output = await new Promise((done) => {
      execFile(process.execPath, [RUNNER, '--quick', '--only', 'storm-kube', '--results', dir], { timeout: 14 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(output.code, 0, `runner failed:\n${output.stdout}\n${output.stderr.slice(-4000)}`);
    file = JSON.parse(readFileSync(join(dir, 'storm-kube.json'), 'utf8')) as BenchResultFile;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the three runs, each with the cgroup sampled and every client accounted for', () => {
    assert.doesNotMatch(output.stdout, /BROKEN/);
    assert.equal(file.mode, 'quick');
    for (const run of ['direct', 'cold', 'warm']) {
      const r = file.figures[run] as { samples: unknown[]; kubectl: unknown[]; informers: unknown[]; limitBytes: number; peakBytes: number };
      assert.ok(r.samples.length > 3, `${run}: memory sampled`);
      assert.equal(r.kubectl.length, 4, `${run}: every kubectl reported`);
      assert.equal(r.informers.length, 4, `${run}: every informer reported`);
      assert.ok(r.peakBytes > 0 && r.peakBytes <= r.limitBytes + 1024 ** 2, `${run}: a peak within the cgroup's limit`);
    }
    const cold = file.figures['cold'] as { gatewayRss?: { peakRssBytes: number }; gatewaySamples?: unknown[] };
    assert.ok((cold.gatewayRss?.peakRssBytes ?? 0) > 0, "the gateway's RSS was measured");
    assert.ok((cold.gatewaySamples?.length ?? 0) > 0, "the gateway's admission state was sampled");
    for (const [k, v] of Object.entries(file.ratios)) assert.ok(Number.isFinite(v), `ratio ${k} is finite`);
  });

  it('measures every mode through the gateway, with its estimate, and compares calibrate with it', () => {
    const estimate = file.figures['estimate'] as { samples: Array<{ mode: string; heldBytes: number; estimatedBytes?: number }>; failures: unknown[] };
    assert.deepEqual(estimate.failures, []);
    const modes = new Set(estimate.samples.map((s) => s.mode));
    for (const m of ['json-consistent', 'json-rv0', 'json-etcd-exact', 'protobuf-consistent', 'json-namespace', 'json-pages']) assert.ok(modes.has(m), `${m} measured`);
    for (const s of estimate.samples) {
      // A small LIST may end between two samples of the memory in use: 0 is a measurement, not an error.
      assert.ok(Number.isFinite(s.heldBytes) && s.heldBytes >= 0, `${s.mode}: what the apiserver held was measured`);
      assert.ok((s.estimatedBytes ?? 0) > 0, `${s.mode}: the gateway's estimate was found in its request line`);
    }
    const etcd = estimate.samples.filter((s) => s.mode === 'json-etcd-exact');
    assert.ok(Math.max(...etcd.map((s) => s.heldBytes)) > 0, 'the memory a LIST from etcd held was seen');
    const calibrate = file.figures['calibrate'] as { result?: { factors: Record<string, number> } };
    assert.ok(calibrate.result && Object.keys(calibrate.result.factors).length > 0, 'listgate calibrate printed factors');
    const comparison = file.figures['comparison'] as Array<{ calibrateMode: string }>;
    assert.deepEqual(comparison.map((c) => c.calibrateMode).sort(), ['cache', 'consistent', 'etcd', 'paginated']);
  });

  it('draws the chart into the results dir with the three runs and the limit', () => {
    const svgPath = join(dir, 'storm-kube.svg');
    assert.ok(existsSync(svgPath), 'the quick run writes its chart into the results dir, not docs/');
    const svg = readFileSync(svgPath, 'utf8');
    assert.match(svg, /^<svg /);
    for (const run of ['direct', 'listgate cold', 'listgate warm']) assert.match(svg, new RegExp(`${run}: \\d+ OOM kills?, \\d+/8 completed`));
    assert.match(svg, /cgroup limit/);
  });
});
