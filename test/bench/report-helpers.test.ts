/**
 * The benchmarks' pure helpers: nearest-rank percentiles, chart ticks and gaps, and the docs block that
 * `--docs` replaces without touching the rest of the page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';
import { END_MARK, renderResults, replaceResults, START_MARK } from '../../bench/lib/docs-report.js';
import { createLatencyRecorder, median, percentileOf } from '../../bench/lib/latency.js';
import { niceStep, renderLineChart } from '../../bench/lib/svg-chart.js';

describe('percentiles', () => {
  for (const [p, expected] of [
    [50, 50],
    [90, 90],
    [99, 99],
    [100, 100],
    [1, 1],
  ] as const) {
    it(`p${p} of 1..100 is ${expected} (nearest rank)`, () => {
      assert.equal(percentileOf(Float64Array.from({ length: 100 }, (_, i) => i + 1), p), expected);
    });
  }

  it('the recorder keeps every sample past its initial capacity and summarises them', () => {
    const r = createLatencyRecorder(4);
    for (const v of [5, 1, 4, 2, 3, 10]) r.record(v);
    const s = r.summary();
    assert.equal(s.count, 6);
    assert.equal(s.p50Ms, 3);
    assert.equal(s.maxMs, 10);
    assert.ok(Math.abs(s.meanMs - 25 / 6) < 1e-9);
  });

  it('median of an even count is the mean of the middle two', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('svg chart', () => {
  for (const [max, step] of [
    [9.12, 2],
    [150, 50],
    [0.9, 0.2],
    [256, 100],
  ] as const) {
    it(`ticks for a maximum of ${max} step by ${step}`, () => assert.equal(niceStep(max), step));
  }

  it('breaks a series where a value is null and escapes labels', () => {
    const svg = renderLineChart({
      title: 'a <b> & c',
      xLabel: 's',
      yLabel: 'GiB',
      series: [{ name: 'one', color: '#000', points: [[0, 1], [1, 2], [2, null], [3, 1]] }],
      hlines: [{ value: 3, label: 'limit', color: '#f00', dashed: true }],
    });
    assert.match(svg, /a &lt;b&gt; &amp; c/);
    const path = /<path d="(M[^"]+)" fill="none"/.exec(svg)?.[1] ?? '';
    assert.equal(path.split('M').length - 1, 2, 'two pen-down segments around the gap');
    assert.match(svg, /stroke-dasharray="6 4"/);
  });
});

describe('docs results block', () => {
  const file: BenchResultFile = {
    name: 'made-up',
    mode: 'full',
    startedAt: '2026-01-01T10:00:00.000Z',
    durationMs: 1000,
    machine: { cpus: 2, totalMemoryBytes: 2 ** 34, node: 'v20.0.0', loadBefore: 0.1, loadAfter: 0.2 },
    revision: { commit: 'a'.repeat(40), dirty: false },
    figures: {},
    ratios: { x: 1 },
    goals: [{ name: 'g', target: '≤ 1', value: 2, met: false }],
    summary: ['a line'],
  };

  it('renders summaries and goals of any benchmark between the markers', () => {
    const block = renderResults([file]);
    assert.ok(block.startsWith(START_MARK) && block.endsWith(END_MARK));
    assert.match(block, /### made-up/);
    assert.match(block, /commit aaaaaaa/);
    assert.match(block, /- a line/);
    assert.match(block, /\| g \| ≤ 1 \| 2 \| \*\*missed\*\* \|/);
  });

  it('escapes a | in a goal so the table keeps its columns', () => {
    const block = renderResults([{ ...file, goals: [{ name: 'p90 |error|', target: '≤ 0.15', value: 0.05, met: true }] }]);
    assert.match(block, /^\| p90 \\\|error\\\| \| ≤ 0\.15 \| 0\.05 \| met \|$/m);
  });

  it('replaces only the block, keeping the page around it', () => {
    const page = `# T\n\nintro\n\n${START_MARK}\nold\n${END_MARK}\n\n## After\n`;
    const next = replaceResults(page, `${START_MARK}\nnew\n${END_MARK}`);
    assert.equal(next, `# T\n\nintro\n\n${START_MARK}\nnew\n${END_MARK}\n\n## After\n`);
  });

  it('appends a Results section to a page without the markers', () => {
    assert.equal(replaceResults('# T\n', 'B'), '# T\n\n## Results\n\nB\n');
  });
});
