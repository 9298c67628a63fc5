/**
 * Overhead: small GETs and small LISTs at a fixed concurrency, straight to the simulator, through the
 * gateway and through nginx as a plain reverse proxy, all driven by the same closed-loop generator in
 * this process, in interleaved rounds (direct, gateway, nginx; then rotated) so drift on the machine
 * weighs on all three. Reported as ratios of requests per second and as latency added to the direct
 * path; also the unloaded round trip (concurrency 1), which the decision-cost benchmark compares with,
 * and CPU seconds per request of each proxy process. The full run adds a 20-line Node.js proxy
 * (lib/reference-proxy.ts) as the floor of any proxy on Node's TLS stack.
 */
import type { Agent } from 'node:https';
import { admissionAvailable, admissionSections } from './lib/admission-section.js';
import { startGatewayProcess, startSimulatorProcess, writeBenchPki } from './lib/bench-stack.js';
import { startComparedTargets, type Measured } from './lib/compared-targets.js';
import { goal, type BenchContext, type BenchReport, type Benchmark, type Goal } from './lib/benchmark.js';
import { createClientAgent, fetchOnce } from './lib/https-client.js';
import { round } from './lib/latency.js';
import { describeErrors, runLoad, type LoadResult } from './lib/load-generator.js';
import { readProcGroupStats } from './lib/proc-stats.js';
import { withScratch } from './lib/scratch.js';

const WORKLOADS = {
  get: ['/api/v1/namespaces/default/configmaps/config-0', '/api/v1/namespaces/ns-0/configmaps/config-1', '/api/v1/namespaces/ns-1/secrets/secret-2'],
  list: ['/api/v1/namespaces/ns-0/configmaps', '/api/v1/namespaces/ns-1/configmaps?limit=50', '/api/v1/namespaces/default/secrets'],
} as const;

type Workload = keyof typeof WORKLOADS;

export interface OverheadFigures {
  concurrency: number;
  rounds: number;
  secondsPerRun: number;
  /** workload → concurrency → target → the median round. */
  runs: Record<string, Record<string, Record<string, RunFigures>>>;
  nginxVersion: string | null;
  admission: boolean;
}

interface RunFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU seconds of the proxy process (the simulator for direct) per request, in microseconds. */
  proxyCpuMicrosPerRequest: number;
  simulatorCpuMicrosPerRequest: number;
}

async function measure(m: Measured, simPid: number, paths: readonly string[], concurrency: number, durationMs: number, warmupMs: number): Promise<RunFigures & { load: LoadResult }> {
  const before = { proxy: readProcGroupStats(m.pids()), sim: readProcGroupStats([simPid]) };
  const load = await runLoad({ target: m.target, agent: m.agent, paths, concurrency, durationMs, warmupMs });
  const after = { proxy: readProcGroupStats(m.pids()), sim: readProcGroupStats([simPid]) };
  // CPU is counted over the whole run, warm-up included: divide by every request sent, estimated from the rate.
  const sent = load.requestsPerSecond * ((durationMs + warmupMs) / 1000);
  const cpu = (a?: { cpuSeconds: number }, b?: { cpuSeconds: number }): number => (a && b && sent > 0 ? ((b.cpuSeconds - a.cpuSeconds) * 1e6) / sent : Number.NaN);
  return {
    load,
    requestsPerSecond: round(load.requestsPerSecond, 1),
    p50Ms: round(load.latency.p50Ms),
    p99Ms: round(load.latency.p99Ms),
    errors: load.errors,
    proxyCpuMicrosPerRequest: round(cpu(before.proxy, after.proxy), 1),
    simulatorCpuMicrosPerRequest: round(cpu(before.sim, after.sim), 1),
  };
}

export async function runOverhead(ctx: BenchContext): Promise<BenchReport> {
  const concurrency = 16;
  const rounds = ctx.quick ? 1 : 3;
  const durationMs = ctx.quick ? 400 : 5000;
  const warmupMs = ctx.quick ? 100 : 1000;
  return withScratch(ctx, 'overhead', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const sim = await startSimulatorProcess(group, { dir, pki, seed: { secrets: 30, secretSize: 1024, namespaces: 4, configmaps: 50, pods: 5 } });
    const gateway = await startGatewayProcess(group, { dir, pki, upstream: sim, sections: admissionSections(8 * 2 ** 30) });
    const agentFor = (): Agent => createClientAgent(pki.user, { maxSockets: concurrency });
    const { targets, nginx } = await startComparedTargets(group, { dir, pki, sim, gateway, quick: ctx.quick, agent: agentFor });
    ctx.log(`simulator pid ${sim.proc.pid}, gateway pid ${gateway.proc.pid}, ${nginx ? `${nginx.version} pid ${nginx.proc.pid}` : 'nginx not installed'}`);
    for (const t of targets) {
      for (const path of [...WORKLOADS.get, ...WORKLOADS.list]) {
        const res = await fetchOnce({ target: t.target, path, agent: t.agent });
        if (res.status !== 200) throw new Error(`${t.target.name} GET ${path}: ${res.status} ${res.head.toString('utf8').slice(0, 300)}`);
      }
    }

    const runs: OverheadFigures['runs'] = {};
    // A target that answers errors (or nothing) is not measured: its run fails, naming what failed.
    const failures: string[] = [];
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      runs[workload] = {};
      for (const c of [concurrency, 1]) {
        const perTarget = new Map<string, Array<RunFigures & { load: LoadResult }>>();
        for (let r = 0; r < rounds; r++) {
          const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
          for (const t of order) {
            const result = await measure(t, sim.proc.pid, WORKLOADS[workload], c, durationMs, warmupMs);
            const label = `${workload} c=${c} ${t.target.name}${rounds > 1 ? ` (round ${r + 1})` : ''}`;
            const failed = result.load.requests === 0 ? `${label}: no request was answered` : describeErrors(label, result.load);
            if (failed) failures.push(failed);
            perTarget.set(t.target.name, [...(perTarget.get(t.target.name) ?? []), result]);
          }
        }
        runs[workload][String(c)] = Object.fromEntries(
          [...perTarget].map(([name, results]) => {
            // The median round by throughput, reported whole (its latencies belong to its throughput).
            const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
            const { load: _load, ...figures } = sorted[Math.floor(sorted.length / 2)]!;
            return [name, figures];
          }),
        );
        const row = runs[workload][String(c)]!;
        ctx.log(`${workload} c=${c}: ${Object.entries(row).map(([n, f]) => `${n} ${f.requestsPerSecond}/s p99 ${f.p99Ms} ms`).join(', ')}`);
      }
    }
    for (const t of targets) t.agent.destroy();

    const ratios: Record<string, number> = {};
    const goals: Goal[] = [];
    const summary: string[] = [];
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      for (const c of [concurrency, 1]) {
        const row = runs[workload]![String(c)]!;
        const [d, g, n] = [row.direct!, row.listgate!, row.nginx];
        const key = `${workload}C${c}`;
        ratios[`${key}ThroughputListgateVsDirect`] = round(g.requestsPerSecond / d.requestsPerSecond);
        ratios[`${key}AddedP50MsListgate`] = round(g.p50Ms - d.p50Ms);
        ratios[`${key}AddedP99MsListgate`] = round(g.p99Ms - d.p99Ms);
        let vsNginx = 'nginx not installed';
        if (n) {
          ratios[`${key}ThroughputListgateVsNginx`] = round(g.requestsPerSecond / n.requestsPerSecond);
          ratios[`${key}ThroughputNginxVsDirect`] = round(n.requestsPerSecond / d.requestsPerSecond);
          ratios[`${key}AddedP50MsNginx`] = round(n.p50Ms - d.p50Ms);
          ratios[`${key}AddedP99MsNginx`] = round(n.p99Ms - d.p99Ms);
          // CPU time comes in 10 ms ticks: a short quick-mode run may see none for nginx.
          if (n.proxyCpuMicrosPerRequest > 0) ratios[`${key}CpuPerRequestListgateVsNginx`] = round(g.proxyCpuMicrosPerRequest / n.proxyCpuMicrosPerRequest);
          vsNginx =
            `${ratios[`${key}ThroughputListgateVsNginx`]}× nginx's throughput (nginx ${ratios[`${key}ThroughputNginxVsDirect`]}× direct, ` +
            `adds ${ratios[`${key}AddedP50MsNginx`]}/${ratios[`${key}AddedP99MsNginx`]} ms; CPU/request listgate ${g.proxyCpuMicrosPerRequest} µs, nginx ${n.proxyCpuMicrosPerRequest} µs)`;
        }
        const floor = row['node-proxy'];
        let vsFloor = '';
        if (floor) {
          ratios[`${key}ThroughputListgateVsNodeProxy`] = round(g.requestsPerSecond / floor.requestsPerSecond);
          if (floor.proxyCpuMicrosPerRequest > 0) ratios[`${key}CpuPerRequestListgateVsNodeProxy`] = round(g.proxyCpuMicrosPerRequest / floor.proxyCpuMicrosPerRequest);
          vsFloor = `; a bare Node.js proxy: ${round(floor.requestsPerSecond / d.requestsPerSecond)}× direct, CPU/request ${floor.proxyCpuMicrosPerRequest} µs`;
        }
        summary.push(
          `small ${workload.toUpperCase()}s, concurrency ${c}: listgate ${ratios[`${key}ThroughputListgateVsDirect`]}× direct's throughput, ` +
            `adds p50/p99 ${ratios[`${key}AddedP50MsListgate`]}/${ratios[`${key}AddedP99MsListgate`]} ms; ${vsNginx}${vsFloor}`,
        );
        if (c === concurrency) {
          goals.push(
            n
              ? goal(`${workload} throughput vs nginx (c=${c})`, '≥ 0.8×', g.requestsPerSecond / n.requestsPerSecond, g.requestsPerSecond >= 0.8 * n.requestsPerSecond)
              : { name: `${workload} throughput vs nginx (c=${c})`, target: '≥ 0.8×', value: 'nginx not installed', met: false },
          );
          goals.push(goal(`${workload} added p99 (c=${c})`, '≤ 1 ms', g.p99Ms - d.p99Ms, g.p99Ms - d.p99Ms <= 1, 3));
        } else {
          goals.push(goal(`${workload} added p99 unloaded (c=1)`, '≤ 1 ms', g.p99Ms - d.p99Ms, g.p99Ms - d.p99Ms <= 1, 3));
        }
      }
    }
    if (!admissionAvailable()) summary.push('note: the gateway ran without admission (not in this build)');
    const figures: OverheadFigures = { concurrency, rounds, secondsPerRun: durationMs / 1000, runs, nginxVersion: nginx?.version ?? null, admission: admissionAvailable() };
    return { figures: figures as unknown as Record<string, unknown>, ratios, goals, summary, failures };
  });
}

export const benchmark: Benchmark = {
  name: 'overhead',
  description: 'small GETs and LISTs: direct vs through listgate vs through nginx (throughput ratio, added p50/p99)',
  run: runOverhead,
};
