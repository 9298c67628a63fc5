/**
 * The real-apiserver storm benchmark's pure parts: the gateway's request lines read back, the estimate's
 * error and the factors from single LISTs, calibrate beside them, the best time the budget allows, the
 * storm's levels' share of the budget, the samples kept, the chart and the docs section.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combinedCeilingFraction, defaultCeilingFractionFor } from '../../bench/lib/admission-section.js';
import type { BenchResultFile } from '../../bench/lib/benchmark.js';
import { renderResults } from '../../bench/lib/docs-report.js';
import { bestTime, compareFactors, factorsByMode, summarizeEstimateError, type RiseSample } from '../../bench/lib/estimate-error.js';
import { firstEstimate, parseRequestLines } from '../../bench/lib/gateway-log.js';
import { readGatewaySample } from '../../bench/lib/gateway-sampler.js';
import type { KubeStormResult } from '../../bench/lib/kube-storm.js';
import { renderKubeStormChart } from '../../bench/lib/kube-storm-chart.js';
import { compactSamples } from '../../bench/lib/storm-kube-phase.js';
import { kubectlFailure } from '../../bench/lib/storm-kube-report.js';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

const line = (o: Record<string, unknown>): string => JSON.stringify({ level: 30, name: 'listgate', msg: 'request completed', ...o });

describe("the gateway's request lines", () => {
  const text = [
    line({ time: 10_000, durationMs: 4000, user: 'storm-kubectl-1', verb: 'list', code: 200, estimatedBytes: 500 }),
    '{"level":30,"msg":"listening"}',
    'not json at all "request completed"',
    line({ time: 9_000, durationMs: 500, user: 'storm-kubectl-2', verb: 'list', code: 429, estimatedBytes: 700 }),
    line({ time: 7_000, durationMs: 100, user: 'storm-kubectl-3', verb: 'get', code: 200, estimatedBytes: 10 }),
    line({ time: 12_000, durationMs: 100, user: 'system:serviceaccount:default:informer-0', verb: 'list', code: 200, estimatedBytes: 300 }),
  ].join('\n');

  it('reads only request lines, with the arrival as the time less the duration', () => {
    const lines = parseRequestLines(text);
    assert.equal(lines.length, 4);
    assert.equal(lines[0]!.arrivedAt, 6000);
    assert.equal(lines[0]!.estimatedBytes, 500);
    assert.equal(lines[1]!.code, 429);
  });

  it("the first estimate is the earliest-arriving LIST's, refused ones included, GETs not", () => {
    const lines = parseRequestLines(text);
    assert.equal(firstEstimate(lines, (l) => l.user?.startsWith('storm-kubectl-') === true)?.estimatedBytes, 500);
    assert.equal(firstEstimate(lines, (l) => l.user?.startsWith('system:serviceaccount:') === true)?.estimatedBytes, 300);
    assert.equal(firstEstimate(lines, () => false), undefined);
  });
});

describe('estimate error and factors from single LISTs', () => {
  const s = (mode: string, responseMiB: number, heldMiB: number, estimateMiB: number | undefined, riseMiB = heldMiB): RiseSample => ({
    mode,
    responseBytes: responseMiB * MIB,
    riseBytes: riseMiB * MIB,
    heldBytes: heldMiB * MIB,
    factor: heldMiB / responseMiB,
    estimateVsHeld: estimateMiB === undefined ? undefined : estimateMiB / heldMiB,
    estimateVsRise: estimateMiB === undefined ? undefined : estimateMiB / riseMiB,
  });
  const samples = [s('a', 100, 200, 220), s('a', 100, 240, 180, 60), s('b', 50, 100, 100), s('b', 50, 120, undefined), s('c', 1, 5, 50)];

  it('p50 and p90 of |estimate ÷ held − 1| over the samples large enough to measure', () => {
    const e = summarizeEstimateError(samples, 16 * MIB);
    assert.equal(e.samples, 3);
    assert.equal(e.tooSmall, 1);
    assert.ok(Math.abs(e.p50 - 0.1) < 1e-9, `p50 ${e.p50}`);
    assert.ok(Math.abs(e.p90 - 0.25) < 1e-9, `p90 ${e.p90}`);
    assert.equal(e.ratioMin, 0.75);
    assert.ok(Math.abs(e.ratioMax - 1.1) < 1e-9);
  });

  it('against the raw rise when asked', () => {
    const e = summarizeEstimateError(samples, 16 * MIB, (x) => x.estimateVsRise);
    assert.equal(e.ratioMax, 3);
  });

  it('the median factor per mode, small responses left out', () => {
    const f = factorsByMode(samples, 16 * MIB);
    assert.deepEqual(Object.keys(f).sort(), ['a', 'b']);
    assert.equal(f['a']!.factor, 2.2);
    assert.equal(f['b']!.samples, 2);
  });

  it("calibrate's factors beside the measured ones, missing ones without a ratio", () => {
    const c = compareFactors({ cache: 1.1, etcd: 6 }, { a: { factor: 2.2 }, b: { factor: 2 } }, { cache: 'a', consistent: 'b', etcd: 'missing' });
    assert.equal(c[0]!.ratio, 0.5);
    assert.equal(c[1]!.calibrate, undefined);
    assert.equal(c[1]!.ratio, undefined);
    assert.equal(c[2]!.bench, undefined);
  });
});

describe('why a kubectl did not complete', () => {
  const k = (code: number | null, stderr: string) => ({ code, bytes: 0, seconds: 60, stderr });
  for (const [stderr, code, why] of [
    ['Warning: listgate: estimated 1.2Gi\nerror: unexpected EOF', 1, /cut \(unexpected EOF\)/],
    ['Error from server (TooManyRequests): Too many requests: this LIST…', 1, /retries on 429/],
    ['Error from server (Timeout): the server was unable to return a response in the time allotted', 1, /request timeout/],
    ['', null, /still running/],
    ['error: something else entirely', 1, /something else entirely/],
    ['', 2, /exit 2/],
  ] as const) {
    it(`${JSON.stringify(stderr.slice(-30))} (exit ${code}) reads ${why}`, () => assert.match(kubectlFailure(k(code, stderr)), why));
  }
});

describe('the best the budget allows', () => {
  it('k LISTs of the measured size fit the budget, in ⌈clients ÷ k⌉ waves', () => {
    assert.deepEqual(bestTime({ clients: 16, budgetBytes: 3.84 * GIB, heldBytes: 1.2 * GIB }), { k: 3, waves: 6 });
  });
  it('at least one at a time, at most every client at once', () => {
    assert.deepEqual(bestTime({ clients: 16, budgetBytes: GIB, heldBytes: 2 * GIB }), { k: 1, waves: 16 });
    assert.deepEqual(bestTime({ clients: 8, budgetBytes: 100 * GIB, heldBytes: GIB }), { k: 8, waves: 1 });
  });
  it("the storm's levels together hold their shares and the pool; one group alone its level's ceiling", () => {
    assert.ok(Math.abs(combinedCeilingFraction(['storm-clients', 'system:serviceaccounts']) - 0.8) < 1e-9);
    assert.ok(Math.abs(combinedCeilingFraction(['system:serviceaccounts']) - defaultCeilingFractionFor('system:serviceaccounts').fraction) < 1e-9);
  });
});

function stormRun(label: string, kills: number, usages: number[]): KubeStormResult {
  return {
    label,
    clients: 2,
    completed: kills > 0 ? 0 : 2,
    kubectl: [{ id: 0, code: kills > 0 ? null : 0, bytes: 10, seconds: 1, stderr: '' }],
    informers: [],
    allCompletedSeconds: kills > 0 ? undefined : 1.5,
    oomKills: kills,
    peakBytes: Math.max(...usages),
    limitBytes: 8 * GIB,
    samples: usages.map((usage, i) => ({ t: i * 400, usage, oomKills: kills > 0 && i === usages.length - 1 ? kills : 0 })),
    seconds: usages.length * 0.4,
  };
}

describe('samples and the chart', () => {
  it('keeps the highest usage of each second', () => {
    const kept = compactSamples(stormRun('x', 0, [1, 5, 3, 2, 9]));
    assert.deepEqual(kept.map((s) => [s.t, s.usage]), [[0, 5], [1200, 9]]);
  });

  it('draws the three runs against the limit, marks the kill and when the informers synced', () => {
    const svg = renderKubeStormChart({
      runs: [
        { run: stormRun('direct', 1, [GIB, 8 * GIB]), name: 'direct', color: '#c0392b', informersSyncedSeconds: undefined },
        { run: stormRun('cold', 0, [GIB, 3 * GIB]), name: 'listgate cold', color: '#1f6fb2', informersSyncedSeconds: 12 },
        { run: stormRun('warm', 0, [GIB, 4 * GIB]), name: 'listgate warm', color: '#27ae60', informersSyncedSeconds: 9 },
      ],
      limitBytes: 8 * GIB,
      ceilingBytes: 6.5 * GIB,
      title: 't',
    });
    assert.match(svg, /direct: 1 OOM kill, 0\/2 completed/);
    assert.match(svg, /listgate cold: 0 OOM kills, 2\/2 completed/);
    assert.match(svg, /cgroup limit 8\.0 GiB/);
    assert.match(svg, /adaptive ceiling 6\.5 GiB/);
    assert.match(svg, /listgate cold: all informers synced/);
    assert.match(svg, /OOM kill \(direct\)/);
    assert.doesNotMatch(svg, /direct: all informers synced/);
  });

  it("reads the gateway's admission state from its metrics, summed over levels", () => {
    const text = [
      'listgate_admission_effective_budget_bytes 100',
      'listgate_admission_in_use_bytes{level="workload"} 30',
      'listgate_admission_in_use_bytes{level="catch-all"} 12',
      'listgate_admission_rejections_total{level="workload",reason="too_large"} 4',
      'listgate_admission_rejections_total{level="catch-all",reason="queue_full"} 3',
    ].join('\n');
    const s = readGatewaySample(text, 5);
    assert.deepEqual(s, { t: 5, effectiveBudgetBytes: 100, inUseBytes: 42, heldOverBytes: 0, upstreamMemoryBytes: 0, rejections: 7 });
  });
});

describe("the docs' section", () => {
  const phase = (kills: number, gateway: boolean) => ({
    oomKills: kills,
    peakBytes: kills > 0 ? 8 * GIB : 5 * GIB,
    limitBytes: 8 * GIB,
    kubectlCompleted: kills > 0 ? 0 : 5,
    informersSynced: kills > 0 ? 0 : 8,
    ...(kills > 0 ? {} : { informersSyncedSeconds: 300 }),
    clients: 16,
    seconds: 400,
    restarted: kills > 0,
    informerTooManyRequests: 2,
    ...(gateway ? { gatewayRejections: 40, gatewayRss: { startRssBytes: 150 * MIB, peakRssBytes: 300 * MIB } } : {}),
    kubectl: Array.from({ length: 8 }),
    informers: Array.from({ length: 8 }),
  });
  const sample = (mode: string, page: number, pass: number, estimateVsHeld: number) => ({ mode, page, pass, responseBytes: 469 * MIB, heldBytes: 1200 * MIB, riseBytes: 900 * MIB, estimateVsHeld });
  const file: BenchResultFile = {
    name: 'storm-kube',
    mode: 'full',
    startedAt: '2026-12-07T10:00:00.000Z',
    durationMs: 3_600_000,
    machine: { cpus: 2, totalMemoryBytes: 24 * GIB, node: 'v20.0.0', loadBefore: 1, loadAfter: 2 },
    revision: null,
    figures: {
      upstream: { kubeApiserver: 'v1.32.6', etcd: '3.5.21' },
      size: { limitBytes: 8 * GIB, secrets: 406, dataBytes: 900_000, kubectl: 8, informers: 8, namespaces: 4 },
      admission: { budget: 4.8 * GIB, adaptive: { ceiling: 6.56 * GIB } },
      direct: phase(1, false),
      cold: phase(0, true),
      warm: phase(0, true),
      best: { levelsFractionOfBudget: 0.8, perListHeldBytes: 1.2 * GIB, k: 3, waves: 6, tkSeconds: 40, bestSeconds: 240, informersOnlySeconds: 120 },
      estimate: { samples: [sample('json-rv0', 0, 0, 1.3), sample('json-rv0', 0, 1, 1.1), sample('json-pages', 1, 0, 0.7), sample('json-pages', 2, 0, 0.9)] },
      comparison: [
        { calibrateMode: 'cache', benchMode: 'json-rv0', calibrate: 2.2, bench: 2.5, ratio: 0.88 },
        { calibrateMode: 'etcd', benchMode: 'json-etcd-exact', bench: 6 },
      ],
      calibrate: { seconds: 600 },
    },
    ratios: {},
    goals: [
      { name: 'cold: time until all 16 clients completed', target: '≤ 1.5×', value: 'NaN', met: false },
      { name: "calibrate's consistent factor", target: '0.8–1.2', value: 'calibrate did not measure it', met: false },
    ],
    summary: ['a line'],
  };

  it('shows the chart, the three runs, the modes and calibrate beside the measured factors', () => {
    const block = renderResults([file]);
    assert.match(block, /### Storm on a real kube-apiserver/);
    assert.match(block, /!\[[^\]]*\]\(benchmarks-storm-kube\.svg\)/);
    assert.match(block, /kube-apiserver v1\.32\.6 with etcd 3\.5\.21, the apiserver alone in a memory cgroup of 8 GiB, 2 cores/);
    assert.match(block, /^\| OOM kills \| 1 \(started again\) \| 0 \| 0 \|$/m);
    assert.match(block, /^\| every informer synced after \| – \| 300 s \(1\.25× the best\) \| 300 s \(1\.25× the best\) \|$/m);
    assert.match(block, /^\| 429 answers \| 2 \(the apiserver's own\) \| 40 \(informers saw 2\) \|/m);
    assert.match(block, /^\| json-pages \(2 pages\) \| 469 MiB \| 1,200 MiB \| 2\.56× \| 0\.7, 0\.9 \| – \|$/m);
    assert.match(block, /^\| json-rv0 \| 469 MiB \| 1,200 MiB \| 2\.56× \| 1\.3 \| 1\.1 \|$/m);
    assert.match(block, /^\| etcd \(json-etcd-exact\) \| not measured \| 6× \| – \|$/m);
    assert.match(block, /6 × 40 = 240 s \(the 8 informers alone: 120 s\)/);
  });

  it('a goal that could not be measured reads as such, not NaN', () => {
    const block = renderResults([file]);
    assert.match(block, /^\| cold: time until all 16 clients completed \| ≤ 1\.5× \| – \| \*\*missed\*\* \|$/m);
    assert.match(block, /^\| calibrate's consistent factor \| 0\.8–1\.2 \| calibrate did not measure it \| \*\*missed\*\* \|$/m);
    assert.doesNotMatch(block, /NaN/);
  });
});
