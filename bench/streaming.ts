/**
 * Streaming: one LIST of about 1 GiB and one high-rate watch (a streaming list of many small configmaps,
 * events back to back), straight to the simulator, through the gateway and through nginx, in interleaved
 * rounds. Reported: throughput as a ratio to the direct read, the proxies' peak RSS growth over their
 * RSS just before the read (sampled from /proc every 50 ms; the gateway must stream, never buffer), and
 * the relaying process's CPU per GiB and per event. The client asks as an admin (system:masters), which
 * admission exempts, so this measures the relay itself. The full run adds the 20-line Node.js proxy
 * (lib/reference-proxy.ts): what any relay on Node's TLS stack costs on this machine.
 */
import type { Agent } from 'node:https';
import { admissionSections } from './lib/admission-section.js';
import { startGatewayProcess, startSimulatorProcess, writeBenchPki } from './lib/bench-stack.js';
import { startComparedTargets, type Measured } from './lib/compared-targets.js';
import { goal, type BenchContext, type BenchReport, type Benchmark, type Goal } from './lib/benchmark.js';
import { createClientAgent } from './lib/https-client.js';
import { median, round } from './lib/latency.js';
import { watchProcesses } from './lib/proc-stats.js';
import { withScratch } from './lib/scratch.js';
import { readInitialEvents, readList, type ReadResult } from './lib/stream-reads.js';

const MIB = 2 ** 20;
const LIST_PATH = '/api/v1/secrets?resourceVersion=0';
const WATCH_PATH = '/api/v1/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan';

interface RoundFigures {
  seconds: number;
  mibPerSecond: number;
  eventsPerSecond: number;
  rssGrowthMiB: number;
  cpuSeconds: number;
}

async function measureRead(m: Measured, read: () => Promise<ReadResult>): Promise<RoundFigures> {
  const watch = watchProcesses(m.pids, 50);
  const r = await read();
  const mem = watch.stop();
  return {
    seconds: round(r.seconds),
    mibPerSecond: round(r.bytesPerSecond / MIB, 1),
    eventsPerSecond: Math.round(r.eventsPerSecond),
    rssGrowthMiB: round((mem.peakRssBytes - mem.startRssBytes) / MIB, 1),
    cpuSeconds: round(mem.cpuSeconds),
  };
}

export async function runStreaming(ctx: BenchContext): Promise<BenchReport> {
  // ~1 GiB: 1024 secrets of 768 KiB (1 MiB of base64 each); quick: 64 MiB.
  const secrets = ctx.quick ? 64 : 1024;
  const configmaps = ctx.quick ? 10_000 : 100_000;
  const rounds = ctx.quick ? 1 : 5;
  return withScratch(ctx, 'streaming', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const sim = await startSimulatorProcess(group, {
      dir,
      pki,
      seed: { secrets, secretSize: 768 * 1024, namespaces: 4, configmaps, pods: 5 },
      heapMb: 8192,
    });
    const gateway = await startGatewayProcess(group, { dir, pki, upstream: sim, sections: admissionSections(64 * 2 ** 30) });
    const agent = (): Agent => createClientAgent(pki.admin, { maxSockets: 1 });
    const { targets, nginx } = await startComparedTargets(group, { dir, pki, sim, gateway, quick: ctx.quick, agent });
    // Warm every path (connections, the gateway's census) with a small read; in the full run also with
    // one whole LIST each, so the first big read's costs (the simulator's first 1 GiB assembly, the JIT)
    // fall on no measured round.
    let listBytes = 0;
    for (const t of targets) {
      await readList(t.target, t.agent, '/api/v1/namespaces/ns-0/configmaps?limit=10');
      if (!ctx.quick) listBytes = (await readList(t.target, t.agent, LIST_PATH)).bytes;
    }
    if (listBytes === 0) listBytes = (await readList(sim.target, targets[0]!.agent, LIST_PATH)).bytes;
    ctx.log(`LIST body ${round(listBytes / MIB, 1)} MiB, watch of ${configmaps} configmaps`);
    const results: Record<'list' | 'watch', Record<string, RoundFigures[]>> = { list: {}, watch: {} };
    for (let r = 0; r < rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
      for (const t of order) {
        const list = await measureRead(t, () => readList(t.target, t.agent, LIST_PATH));
        const watch = await measureRead(t, () => readInitialEvents(t.target, t.agent, WATCH_PATH, configmaps));
        (results.list[t.target.name] ??= []).push(list);
        (results.watch[t.target.name] ??= []).push(watch);
        ctx.log(`round ${r + 1} ${t.target.name}: LIST ${list.mibPerSecond} MiB/s (+${list.rssGrowthMiB} MiB RSS), watch ${watch.eventsPerSecond} events/s (+${watch.rssGrowthMiB} MiB RSS)`);
      }
    }
    for (const t of targets) t.agent.destroy();

    const med = (kind: 'list' | 'watch', name: string, field: keyof RoundFigures): number => median((results[kind][name] ?? []).map((f) => f[field]));
    const peak = (kind: 'list' | 'watch', name: string): number => Math.max(...(results[kind][name] ?? []).map((f) => f.rssGrowthMiB));
    const vsDirect = (kind: 'list' | 'watch', name: string): number => {
      const field = kind === 'list' ? 'mibPerSecond' : 'eventsPerSecond';
      return round(med(kind, name, field) / med(kind, 'direct', field));
    };
    const ratios: Record<string, number> = {
      listThroughputListgateVsDirect: vsDirect('list', 'listgate'),
      watchThroughputListgateVsDirect: vsDirect('watch', 'listgate'),
      ...(nginx ? { listThroughputNginxVsDirect: vsDirect('list', 'nginx'), watchThroughputNginxVsDirect: vsDirect('watch', 'nginx') } : {}),
      ...(results.list['node-proxy'] ? { listThroughputNodeProxyVsDirect: vsDirect('list', 'node-proxy'), watchThroughputNodeProxyVsDirect: vsDirect('watch', 'node-proxy') } : {}),
    };
    // CPU of the relaying process per GiB (LIST) and per event (watch): steadier than throughput on two
    // cores that the client, the proxy and the simulator share. For direct it is the simulator's own.
    const cpuPerGiB = (name: string): number => med('list', name, 'cpuSeconds') / (listBytes / 2 ** 30);
    const cpuMicrosPerEvent = (name: string): number => (med('watch', name, 'cpuSeconds') * 1e6) / configmaps;
    const cpu = Object.fromEntries(
      targets.map((t) => [t.target.name, { listCpuSecondsPerGiB: round(cpuPerGiB(t.target.name)), watchCpuMicrosPerEvent: round(cpuMicrosPerEvent(t.target.name), 2) }]),
    );
    if (nginx && cpuPerGiB('nginx') > 0) ratios.listCpuPerGiBListgateVsNginx = round(cpuPerGiB('listgate') / cpuPerGiB('nginx'));
    if (nginx && cpuMicrosPerEvent('nginx') > 0) ratios.watchCpuPerEventListgateVsNginx = round(cpuMicrosPerEvent('listgate') / cpuMicrosPerEvent('nginx'));
    const gwPeak = Math.max(peak('list', 'listgate'), peak('watch', 'listgate'));
    const goals: Goal[] = [
      goal('LIST throughput vs direct', '≥ 0.9×', ratios.listThroughputListgateVsDirect!, ratios.listThroughputListgateVsDirect! >= 0.9),
      goal('watch throughput vs direct', '≥ 0.9×', ratios.watchThroughputListgateVsDirect!, ratios.watchThroughputListgateVsDirect! >= 0.9),
      goal('gateway RSS growth (MiB)', '≤ 64 MiB', gwPeak, gwPeak <= 64, 1),
    ];
    const summary = [
      `LIST of ${round(listBytes / MIB, 1)} MiB: listgate ${ratios.listThroughputListgateVsDirect}× direct` +
        `${nginx ? ` (nginx ${ratios.listThroughputNginxVsDirect}×)` : ''}; direct ${med('list', 'direct', 'mibPerSecond')} MiB/s; ` +
        `gateway RSS +${peak('list', 'listgate')} MiB${nginx ? ` (nginx +${peak('list', 'nginx')} MiB)` : ''}; ` +
        `relay CPU ${cpu.listgate!.listCpuSecondsPerGiB} s/GiB${nginx ? ` (nginx ${cpu.nginx!.listCpuSecondsPerGiB} s/GiB)` : ''}` +
        `${cpu['node-proxy'] ? `; a bare Node.js proxy: ${ratios.listThroughputNodeProxyVsDirect}× direct, ${cpu['node-proxy'].listCpuSecondsPerGiB} s/GiB` : ''}`,
      `watch of ${configmaps} events: listgate ${ratios.watchThroughputListgateVsDirect}× direct${nginx ? ` (nginx ${ratios.watchThroughputNginxVsDirect}×)` : ''}; ` +
        `direct ${med('watch', 'direct', 'eventsPerSecond')} events/s; gateway RSS +${peak('watch', 'listgate')} MiB; ` +
        `relay CPU ${cpu.listgate!.watchCpuMicrosPerEvent} µs/event${nginx ? ` (nginx ${cpu.nginx!.watchCpuMicrosPerEvent} µs/event)` : ''}` +
        `${cpu['node-proxy'] ? `; a bare Node.js proxy: ${ratios.watchThroughputNodeProxyVsDirect}× direct` : ''}`,
    ];
    return {
      figures: { listBytes, listPath: LIST_PATH, watchPath: WATCH_PATH, watchEvents: configmaps, rounds, results, cpu, nginxVersion: nginx?.version ?? null },
      ratios,
      goals,
      summary,
    };
  });
}

export const benchmark: Benchmark = {
  name: 'streaming',
  description: 'a ~1 GiB LIST and a high-rate watch: direct vs through listgate (and nginx), throughput ratio and the gateway RSS growth',
  run: runStreaming,
};
