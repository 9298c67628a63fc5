/**
 * The benchmarks' quick mode runs end to end and writes well-formed results: `npm run bench -- --quick`
 * for the overhead, decision-cost, streaming and storm benchmarks, in one runner process (the decision
 * cost compares with the overhead's round trip), into a temp results dir. Performance numbers are never
 * asserted — only that every benchmark measured something and reported it in the agreed shape.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';

const RUNNER = resolve('dist/bench/run.js');
const MINE = ['overhead', 'decision-cost', 'streaming', 'storm', 'estimator-accuracy'];

function assertWellFormed(file: BenchResultFile, name: string): void {
  assert.equal(file.name, name);
  assert.equal(file.mode, 'quick');
  assert.ok(!Number.isNaN(Date.parse(file.startedAt)), 'startedAt is an ISO date');
  assert.ok(file.durationMs > 0);
  assert.ok(file.machine.cpus >= 1 && file.machine.totalMemoryBytes > 0 && file.machine.node.startsWith('v'));
  assert.ok(file.revision === null || /^[0-9a-f]{40}$/.test(file.revision.commit), 'the measured commit is named');
  assert.equal(typeof file.figures, 'object');
  for (const [key, value] of Object.entries(file.ratios)) assert.ok(Number.isFinite(value), `ratio ${key} is a finite number (got ${String(value)})`);
  for (const g of file.goals) {
    assert.equal(typeof g.name, 'string');
    assert.equal(typeof g.target, 'string');
    assert.equal(typeof g.met, 'boolean');
    assert.ok(typeof g.value === 'number' || typeof g.value === 'string');
  }
  assert.ok(file.summary.length > 0 && file.summary.every((l) => typeof l === 'string' && l.length > 0));
}

describe('npm run bench -- --quick', { timeout: 300_000 }, () => {
  let dir: string;
  let output: { code: number; stdout: string; stderr: string };
  const read = (name: string): BenchResultFile => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as BenchResultFile;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-bench-test-'));
    output = await new Promise((done) => {
      execFile(process.execPath, [RUNNER, '--quick', '--only', MINE.join(','), '--results', dir], { timeout: 290_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and writes one well-formed JSON file per benchmark', () => {
    assert.equal(output.code, 0, `runner failed:\n${output.stdout}\n${output.stderr}`);
    for (const name of MINE) assertWellFormed(read(name), name);
    assert.doesNotMatch(output.stdout, /BROKEN/);
  });

  it('overhead: every target answered every request, through listgate too', () => {
    const runs = read('overhead').figures.runs as Record<string, Record<string, Record<string, { requestsPerSecond: number; errors: number }>>>;
    for (const workload of ['get', 'list']) {
      for (const c of ['16', '1']) {
        const row = runs[workload]![c]!;
        assert.ok(row.direct && row.listgate, `${workload} c=${c} has direct and listgate`);
        for (const [target, f] of Object.entries(row)) {
          assert.ok(f.requestsPerSecond > 0, `${workload} c=${c} ${target} measured requests`);
          assert.equal(f.errors, 0, `${workload} c=${c} ${target} had no failed request`);
        }
      }
    }
  });

  it('decision cost: every step timed, compared with the overhead round trip of the same run', () => {
    const figures = read('decision-cost').figures as { steps: Record<string, { micros: number }>; proxyRoundTrip: { from: string } | null; admission: { leasesTaken: number } };
    for (const step of ['authenticateX509Cached', 'authenticateTokenCached', 'classify', 'estimate', 'admit']) assert.ok(figures.steps[step]!.micros > 0, `${step} timed`);
    assert.ok(figures.admission.leasesTaken > 0, 'the admission step weighed LISTs against the budget');
    assert.equal(figures.proxyRoundTrip?.from, 'this run');
  });

  it('streaming: the LIST and the watch went through every target', () => {
    const figures = read('streaming').figures as { listBytes: number; results: Record<'list' | 'watch', Record<string, Array<{ seconds: number }>>> };
    assert.ok(figures.listBytes > 32 * 2 ** 20, 'a LIST of tens of MiB');
    for (const kind of ['list', 'watch'] as const) {
      for (const target of ['direct', 'listgate']) assert.ok(figures.results[kind][target]![0]!.seconds > 0, `${kind} through ${target}`);
    }
  });

  it('storm: memory sampled in both runs and the chart written with both series, the limit and the budget', () => {
    const figures = read('storm').figures as { direct: { samples: unknown[]; clients: number }; listgate: { samples: unknown[]; clients: number } };
    assert.ok(figures.direct.samples.length > 5 && figures.listgate.samples.length > 5);
    assert.equal(figures.direct.clients, 16);
    const svgPath = join(dir, 'storm.svg');
    assert.ok(existsSync(svgPath), 'the quick run writes its chart into the results dir, not docs/');
    const svg = readFileSync(svgPath, 'utf8');
    assert.match(svg, /^<svg /);
    assert.match(svg, /direct: \d+ OOM kills/);
    assert.match(svg, /through listgate: \d+ OOM kills/);
    assert.match(svg, /OOM limit/);
    assert.match(svg, /listgate budget/);
  });
});
