/**
 * The storm's picture: the simulator's in-flight LIST memory over time without the gateway and with it,
 * against the OOM limit, the gateway's budget and the part of it the clients' priority level may hold,
 * with the OOM kills marked and the moment every client had synced.
 */
import type { StormRunResult } from './storm-run.js';
import { renderLineChart, type ChartLine } from './svg-chart.js';

const GIB = 2 ** 30;

function killTimes(run: StormRunResult): number[] {
  const times: number[] = [];
  let kills = run.samples[0]?.oomKills ?? 0;
  for (const s of run.samples) {
    if (s.oomKills > kills) for (let k = kills; k < s.oomKills; k++) times.push(s.t / 1000);
    kills = s.oomKills;
  }
  return times;
}

export function renderStormChart(opts: {
  direct: StormRunResult;
  gateway: StormRunResult;
  oomLimitBytes: number;
  budgetBytes: number;
  /** The most of the budget the clients' priority level may hold. */
  level?: { name: string; bytes: number };
  title: string;
}): string {
  const unit = opts.oomLimitBytes >= 4 * GIB ? { div: GIB, name: 'GiB' } : { div: 2 ** 20, name: 'MiB' };
  const series = (run: StormRunResult) => run.samples.map((s) => [s.t / 1000, s.inflightBytes / unit.div] as const);
  const vlines: ChartLine[] = [];
  const synced = (run: StormRunResult, color: string, who: string): void => {
    if (run.allSyncedSeconds !== undefined) vlines.push({ value: run.allSyncedSeconds, label: `${who}: all ${run.clients} synced`, color, dashed: true });
  };
  synced(opts.direct, '#c0392b', 'direct');
  synced(opts.gateway, '#1f6fb2', 'listgate');
  return renderLineChart({
    title: opts.title,
    xLabel: 'seconds since the storm began',
    yLabel: `simulated apiserver in-flight LIST memory (${unit.name})`,
    series: [
      {
        name: `direct: ${opts.direct.oomKills} OOM kills, ${opts.direct.synced}/${opts.direct.clients} synced`,
        color: '#c0392b',
        points: series(opts.direct),
        markers: { xs: killTimes(opts.direct), label: 'OOM kill (direct)' },
      },
      {
        name: `through listgate: ${opts.gateway.oomKills} OOM kills, ${opts.gateway.synced}/${opts.gateway.clients} synced`,
        color: '#1f6fb2',
        points: series(opts.gateway),
        markers: { xs: killTimes(opts.gateway), label: 'OOM kill (through listgate)' },
      },
    ],
    hlines: [
      { value: opts.oomLimitBytes / unit.div, label: `OOM limit ${(opts.oomLimitBytes / unit.div).toFixed(1)} ${unit.name}`, color: '#7f0000', dashed: true },
      { value: opts.budgetBytes / unit.div, label: `listgate budget ${(opts.budgetBytes / unit.div).toFixed(1)} ${unit.name}`, color: '#e67e22', dashed: true },
      ...(opts.level
        ? [{ value: opts.level.bytes / unit.div, label: `the ${opts.level.name} level's share of it ${(opts.level.bytes / unit.div).toFixed(1)} ${unit.name}`, color: '#f5b041', dashed: true }]
        : []),
    ],
    vlines,
  });
}
