/**
 * The real-apiserver storm's picture: the apiserver's memory (its cgroup's charged bytes) over time in
 * each run — straight to the apiserver, through a fresh gateway (cold), through the same gateway again
 * (warm) — against the cgroup's limit and the gateway's adaptive ceiling, with OOM kills marked and
 * the moment every informer had synced. (The budget is not drawn: it counts what requests hold above
 * the memory in use, while the cgroup also charges the heap Go keeps after freeing it.)
 */
import type { KubeStormResult } from './kube-storm.js';
import { renderLineChart, type ChartLine, type ChartSeries } from './svg-chart.js';

const GIB = 2 ** 30;

export interface ChartRun {
  run: KubeStormResult;
  name: string;
  color: string;
  /** Seconds until the last informer synced, when all did. */
  informersSyncedSeconds: number | undefined;
}

function killTimes(run: KubeStormResult): number[] {
  const times: number[] = [];
  let kills = 0;
  for (const s of run.samples) {
    for (let k = kills; k < s.oomKills; k++) times.push(s.t / 1000);
    kills = Math.max(kills, s.oomKills);
  }
  return times;
}

/** The legend's line for a run: its kills and how many clients completed. */
export function describeChartRun(r: ChartRun): string {
  return `${r.name}: ${r.run.oomKills} OOM kill${r.run.oomKills === 1 ? '' : 's'}, ${r.run.completed}/${r.run.clients} completed`;
}

export function renderKubeStormChart(opts: {
  runs: readonly ChartRun[];
  limitBytes: number;
  /** The adaptive budget's ceiling on the apiserver's memory. */
  ceilingBytes?: number;
  title: string;
}): string {
  const unit = opts.limitBytes >= 4 * GIB ? { div: GIB, name: 'GiB' } : { div: 2 ** 20, name: 'MiB' };
  const series: ChartSeries[] = opts.runs.map((r) => ({
    name: describeChartRun(r),
    color: r.color,
    points: r.run.samples.map((s) => [s.t / 1000, s.usage / unit.div] as const),
    markers: { xs: killTimes(r.run), label: `OOM kill (${r.name})` },
  }));
  const vlines: ChartLine[] = opts.runs.flatMap((r) =>
    r.informersSyncedSeconds !== undefined ? [{ value: r.informersSyncedSeconds, label: `${r.name}: all informers synced`, color: r.color, dashed: true }] : [],
  );
  const level = (bytes: number): string => `${(bytes / unit.div).toFixed(1)} ${unit.name}`;
  return renderLineChart({
    title: opts.title,
    xLabel: 'seconds since the storm began',
    yLabel: `kube-apiserver memory cgroup usage (${unit.name})`,
    series,
    hlines: [
      { value: opts.limitBytes / unit.div, label: `cgroup limit ${level(opts.limitBytes)}`, color: '#7f0000', dashed: true },
      ...(opts.ceilingBytes !== undefined ? [{ value: opts.ceilingBytes / unit.div, label: `adaptive ceiling ${level(opts.ceilingBytes)}`, color: '#e67e22', dashed: true }] : []),
    ],
    vlines,
    width: 1000,
    height: 500,
  });
}
