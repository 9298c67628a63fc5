/**
 * The results section of the real-apiserver storm (bench/storm-kube.ts) in docs/benchmarks.md: the
 * chart, the three runs side by side, the best the budget allows, the estimate against what single
 * LISTs held, mode by mode, and `listgate calibrate`'s factors beside the measured ones.
 */
import type { BenchResultFile } from './benchmark.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const n = (v: unknown, digits = 2): string => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(digits)).toLocaleString('en-US') : '–');

interface Phase {
  oomKills: number;
  peakBytes: number;
  limitBytes: number;
  kubectlCompleted: number;
  informersSynced: number;
  informersSyncedSeconds?: number;
  allCompletedSeconds?: number;
  clients: number;
  seconds: number;
  restarted: boolean;
  informerTooManyRequests: number;
  gatewayRejections?: number;
  gatewayRss?: { startRssBytes: number; peakRssBytes: number };
  kubectl: unknown[];
  informers: unknown[];
}

interface Sample {
  mode: string;
  page: number;
  pass: number;
  responseBytes: number;
  heldBytes: number;
  riseBytes: number;
  estimatedBytes?: number;
  estimateVsHeld?: number;
}

interface Figures {
  upstream: { kubeApiserver: string; etcd: string };
  size: { limitBytes: number; secrets: number; dataBytes: number; kubectl: number; informers: number; namespaces: number };
  admission: { budget: number; adaptive: { ceiling: number } };
  direct: Phase;
  cold: Phase;
  warm: Phase;
  best: { levelsFractionOfBudget: number; perListHeldBytes: number; k: number; waves: number; tkSeconds: number; bestSeconds: number; informersOnlySeconds?: number };
  estimate: { samples: Sample[] };
  comparison: Array<{ calibrateMode: string; benchMode: string; calibrate?: number; bench?: number; ratio?: number }>;
  calibrate: { seconds: number; result?: { metric: string } };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function runsTable(x: Figures): string[] {
  const runs = [x.direct, x.cold, x.warm];
  const best = x.best.bestSeconds;
  const row = (label: string, f: (p: Phase, i: number) => string): string => `| ${label} | ${runs.map(f).join(' | ')} |`;
  const secs = (v: number | undefined): string => (v === undefined ? '–' : `${n(v, 0)} s (${n(v / best)}× the best)`);
  return [
    '| | direct | listgate cold | listgate warm |',
    '|---|---|---|---|',
    row('OOM kills', (p) => `${p.oomKills}${p.restarted ? ' (started again)' : ''}`),
    row('peak cgroup memory', (p) => `${n(p.peakBytes / GIB)} GiB (${n(p.peakBytes / p.limitBytes)}× the limit)`),
    row('kubectl completed', (p) => `${p.kubectlCompleted}/${p.kubectl.length}`),
    row('informers synced', (p) => `${p.informersSynced}/${p.informers.length}`),
    row('every informer synced after', (p) => secs(p.informersSyncedSeconds)),
    row(`all ${x.size.kubectl + x.size.informers} completed after`, (p) => secs(p.allCompletedSeconds)),
    row('429 answers', (p) => (p.gatewayRejections !== undefined ? `${p.gatewayRejections} (informers saw ${p.informerTooManyRequests})` : `${p.informerTooManyRequests} (the apiserver's own)`)),
    row('run ended after', (p) => `${n(p.seconds, 0)} s`),
    row('gateway RSS, start → peak', (p) => (p.gatewayRss ? `${n(p.gatewayRss.startRssBytes / MIB, 0)} → ${n(p.gatewayRss.peakRssBytes / MIB, 0)} MiB` : '–')),
  ];
}

function modesTable(x: Figures): string[] {
  const modes = [...new Set(x.estimate.samples.map((s) => s.mode))];
  const out = ['| mode | response | held by the apiserver (median) | held ÷ response | estimate ÷ held, first pass | estimate ÷ held, later passes (median) |', '|---|---|---|---|---|---|'];
  for (const mode of modes) {
    const all = x.estimate.samples.filter((s) => s.mode === mode);
    const first = all.filter((s) => s.pass === 0).map((s) => s.estimateVsHeld ?? Number.NaN);
    const warm = all.filter((s) => s.pass > 0).map((s) => s.estimateVsHeld ?? Number.NaN);
    const pages = all.some((s) => s.page > 0) ? ` (${Math.max(...all.map((s) => s.page))} pages)` : '';
    out.push(
      `| ${mode}${pages} | ${n(median(all.map((s) => s.responseBytes)) / MIB, 0)} MiB | ${n(median(all.map((s) => s.heldBytes)) / MIB, 0)} MiB | ` +
        `${n(median(all.map((s) => s.heldBytes / s.responseBytes)))}× | ${first.map((v) => n(v)).join(', ')} | ${n(median(warm))} |`,
    );
  }
  return out;
}

export function stormKubeSection(f: BenchResultFile): string[] {
  const x = f.figures as unknown as Figures;
  const list = x.estimate.samples.find((s) => s.mode === 'json-consistent');
  return [
    '![kube-apiserver memory during the storm: direct, through listgate cold and warm](benchmarks-storm-kube.svg)',
    '',
    `kube-apiserver ${x.upstream.kubeApiserver} with etcd ${x.upstream.etcd}, the apiserver alone in a memory cgroup of ${n(x.size.limitBytes / GIB)} GiB, ${f.machine.cpus} cores shared with other work; ` +
      `${x.size.secrets} Secrets of ${x.size.dataBytes / 1000} kB in ${x.size.namespaces} namespaces${list ? ` (a ${n(list.responseBytes / MIB, 0)} MiB JSON LIST)` : ''}; ` +
      `${x.size.kubectl} \`kubectl get --raw /api/v1/secrets\` and ${x.size.informers} informer-style clients at once; listgate budget ${n(x.admission.budget / GIB)} GiB, ` +
      `adaptive budget on (ceiling ${n(x.admission.adaptive.ceiling / GIB)} GiB of the apiserver's RSS).`,
    '',
    ...runsTable(x),
    '',
    `Best the budget allows: the storm's two priority levels may hold ${n(x.best.levelsFractionOfBudget)} of the budget and one LIST held ${n(x.best.perListHeldBytes / GIB)} GiB, ` +
      `so ${x.best.k} fit at once; ${x.best.k} such LISTs started together straight at the apiserver took ${n(x.best.tkSeconds, 1)} s, so the ${x.size.kubectl + x.size.informers} need at least ` +
      `${x.best.waves} × ${n(x.best.tkSeconds, 1)} = ${n(x.best.bestSeconds, 0)} s${x.best.informersOnlySeconds !== undefined ? ` (the ${x.size.informers} informers alone: ${n(x.best.informersOnlySeconds, 0)} s)` : ''}.`,
    '',
    'Single LISTs through the warm gateway, one at a time, the apiserver settled before each: what the apiserver held (its memory in use at the peak over the settled memory in use) and what listgate estimated. ' +
      "The first pass is the gateway's first sight of a mode, except for the storm's own two (json-consistent: kubectl's, json-rv0: the informers'), which it has seen in the storms:",
    '',
    ...modesTable(x),
    '',
    `\`listgate calibrate\` against the same apiserver (${n(x.calibrate.seconds, 0)} s, memory from ${x.calibrate.result?.metric ?? '–'}):`,
    '',
    '| serving path | calibrate | measured here | calibrate ÷ measured |',
    '|---|---|---|---|',
    ...x.comparison.map((c) => `| ${c.calibrateMode} (${c.benchMode}) | ${c.calibrate !== undefined ? `${n(c.calibrate)}×` : 'not measured'} | ${n(c.bench)}× | ${n(c.ratio)} |`),
  ];
}
