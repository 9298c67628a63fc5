/**
 * The shared-budget benchmark's CI-sized run (`npm run bench -- --quick --only shared-budget`) end to end:
 * three gateway processes and one Redis, the uneven storm shared and split, thousands of aborts scaled
 * down. Performance numbers are never asserted; what must hold is: every client synced through the shared
 * budget, the simulator never OOM-killed nor above the one budget, and no lease left in Redis.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';

describe('npm run bench -- --quick --only shared-budget', { timeout: 600_000 }, () => {
  let dir: string;
  let output: { code: number; stdout: string; stderr: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-bench-shared-'));
    output = await new Promise((done) => {
      execFile(process.execPath, [resolve('dist/bench/run.js'), '--quick', '--only', 'shared-budget', '--results', dir], { timeout: 590_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs, and the one budget held across the replicas', () => {
    assert.equal(output.code, 0, `runner failed:\n${output.stdout}\n${output.stderr}`);
    const file = JSON.parse(readFileSync(join(dir, 'shared-budget.json'), 'utf8')) as BenchResultFile;
    const met = (name: string) => file.goals.find((g) => g.name === name)?.met;
    assert.equal(met('clients synced with the shared budget'), true, output.stdout);
    assert.equal(met('OOM kills with the shared budget'), true, output.stdout);
    assert.equal(met('peak in-flight ÷ the one budget (shared)'), true, output.stdout);
    assert.equal(met('leases left in Redis after the aborts'), true, output.stdout);
    const figures = file.figures as { decisionCost: { shared: { count: number } }; aborts: { requests: number; aborted: number } };
    assert.ok(figures.decisionCost.shared.count > 0 && figures.aborts.aborted > 0);
  });
});
