/**
 * The protocols, watches and upstream-legs benchmarks' quick mode runs end to end (`npm run bench --
 * --quick --only protocols,watches,upstream-legs`) and every target answers every request: over HTTP/1.1 and HTTP/2, direct, through
 * listgate, the bare relays and nginx, and, when KUBEBUILDER_ASSETS names the envtest binaries (CI), a
 * real kube-apiserver directly and through a listgate of its own; every watch opens; the bare relay with
each upstream leg (node:https, node:http2, undici) and listgate with each. A target that
 * answers errors fails the run (the runner exits 1), so this file fails with it. Performance numbers are
 * never asserted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';
import { findEnvtestAssets } from '../support/apiserver/envtest-assets.js';

const RUNNER = resolve('dist/bench/run.js');

interface TargetFigures {
  requestsPerSecond: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
}

describe('npm run bench -- --quick --only protocols,watches,upstream-legs', { timeout: 10 * 60_000 }, () => {
  let dir: string;
  let output: { code: number; stdout: string; stderr: string };
  const read = (name: string): BenchResultFile => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as BenchResultFile;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-bench-protocols-'));
    output = await new Promise((done) => {
      execFile(process.execPath, [RUNNER, '--quick', '--only', 'protocols,watches,upstream-legs', '--results', dir], { timeout: 9 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0: nothing broke and no target answered an error', () => {
    assert.equal(output.code, 0, `runner failed:\n${output.stdout}\n${output.stderr.slice(-4000)}`);
    assert.doesNotMatch(output.stdout, /BROKEN|FAILED/);
    for (const name of ['protocols', 'watches', 'upstream-legs']) assert.deepEqual(read(name).failures, [], `${name} names no failures`);
  });

  it('protocols: every target of every row answered every request, the real kube-apiserver too when it is there', () => {
    const runs = read('protocols').figures.runs as Record<string, Record<string, TargetFigures>>;
    const withKube = !('problem' in findEnvtestAssets());
    for (const protocol of ['h1', 'h2']) {
      for (const workload of ['get', 'list']) {
        for (const c of ['c16', 'c1']) {
          const key = `${workload}.${protocol}.${c}`;
          const row = runs[key]!;
          const expected = ['direct', 'listgate', protocol === 'h1' ? 'node-proxy' : 'node-proxy-h2', ...(withKube ? ['kube-direct', 'kube-listgate'] : [])];
          for (const target of expected) assert.ok(row[target], `${key} measured ${target}`);
          for (const [target, f] of Object.entries(row)) {
            assert.ok(f.requests > 0 && f.requestsPerSecond > 0, `${key} ${target} measured requests`);
            assert.equal(f.errors, 0, `${key} ${target} answered errors: ${JSON.stringify(f.errorKinds)}`);
          }
        }
      }
    }
  });

  it('watches: every watch opened and the small GETs beside them never failed', () => {
    const figures = read('watches').figures as { watches: number; open: number; refused: number; without: TargetFigures; withWatches: TargetFigures; pacedWithout: TargetFigures; pacedWith: TargetFigures };
    assert.equal(figures.open, figures.watches);
    assert.equal(figures.refused, 0);
    for (const phase of [figures.without, figures.withWatches, figures.pacedWithout, figures.pacedWith]) {
      assert.ok(phase.requests > 0);
      assert.equal(phase.errors, 0, JSON.stringify(phase.errorKinds));
    }
  });

  it('upstream-legs: each leg measured, in the relay and in listgate', () => {
    const legs = read('upstream-legs').figures.legs as Record<string, { requestsPerSecond: number; cpuMicrosPerRequest: number }>;
    assert.deepEqual(Object.keys(legs).sort(), ['listgate node:http2', 'listgate node:https', 'relay node:http2', 'relay node:https', 'relay undici']);
    for (const [name, f] of Object.entries(legs)) assert.ok(f.requestsPerSecond > 0 && f.cpuMicrosPerRequest > 0, `${name}: ${JSON.stringify(f)}`);
  });
});
