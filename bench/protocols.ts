/**
 * Protocols: small GETs and small LISTs at concurrency 1 and 16, over HTTP/1.1 and over HTTP/2 from the
 * client (HTTP/2 as client-go sends it: every request a stream on one connection), to the simulator
 * directly, through listgate, through the bare Node.js relay of the same protocol (the CPU floor of any
 * relay on Node's TLS stack) and through nginx; and, when KUBEBUILDER_ASSETS names the envtest binaries
 * (the quick run too), to a real kube-apiserver 1.32.6 directly and through listgate in front of it, which
 * is what a user compares. Interleaved rounds (the order rotates), the median round reported; CPU per
 * request of the process doing each target's work (the simulator or apiserver for direct). A target that
 * answers errors, or nothing, fails the run (`failures`): its numbers would measure the errors.
 */
import { startKubeApiserver, type KubeApiserver } from '../test/support/apiserver/kube-apiserver.js';
import { findEnvtestAssets } from '../test/support/apiserver/envtest-assets.js';
import { admissionSections } from './lib/admission-section.js';
import { startGatewayProcess, startSimulatorProcess, writeBenchPki } from './lib/bench-stack.js';
import { goal, type BenchContext, type BenchReport, type Benchmark, type Goal } from './lib/benchmark.js';
import { startGatewayOnKube } from './lib/kube-gateway.js';
import { round } from './lib/latency.js';
import { describeErrors, runLoad } from './lib/load-generator.js';
import { nginxBinary, startNginx } from './lib/nginx.js';
import { readProcGroupStats } from './lib/proc-stats.js';
import { kubeTargets, senderFor, simulatorTargets, type ClientProtocol, type ProtocolTarget } from './lib/protocol-targets.js';
import { startReferenceProxy } from './lib/reference-proxy.js';
import { withScratch } from './lib/scratch.js';

const PATHS = {
  sim: {
    get: ['/api/v1/namespaces/default/configmaps/config-0', '/api/v1/namespaces/ns-0/configmaps/config-1', '/api/v1/namespaces/ns-1/secrets/secret-2'],
    list: ['/api/v1/namespaces/ns-0/configmaps?limit=20', '/api/v1/namespaces/ns-1/configmaps?limit=20', '/api/v1/namespaces/default/secrets?limit=20'],
  },
  kube: {
    get: ['/api/v1/namespaces/default/configmaps/bench-0', '/api/v1/namespaces/default/configmaps/bench-1', '/api/v1/namespaces/default/configmaps/bench-2'],
    list: ['/api/v1/namespaces/default/configmaps?limit=20', '/api/v1/namespaces/default/configmaps?limit=10', '/api/v1/namespaces/kube-system/configmaps?limit=20'],
  },
} as const;
type Workload = 'get' | 'list';

interface Figures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The errors by status or error code (load-generator.ts). */
  errorKinds: Record<string, number>;
  /** Requests recorded (the errors among them). */
  requests: number;
  cpuMicrosPerRequest: number;
}

async function measure(t: ProtocolTarget, protocol: ClientProtocol, workload: Workload, concurrency: number, durationMs: number, warmupMs: number): Promise<Figures> {
  const sender = senderFor(t, protocol, concurrency);
  try {
    const before = readProcGroupStats(t.pids());
    const load = await runLoad({ target: t.target, send: sender.send, paths: PATHS[t.backend][workload], concurrency, durationMs, warmupMs });
    const after = readProcGroupStats(t.pids());
    const sent = load.requestsPerSecond * ((durationMs + warmupMs) / 1000);
    return {
      requestsPerSecond: round(load.requestsPerSecond, 1),
      p50Ms: round(load.latency.p50Ms),
      p99Ms: round(load.latency.p99Ms),
      errors: load.errors,
      errorKinds: load.errorKinds,
      requests: load.requests,
      cpuMicrosPerRequest: round(before && after && sent > 0 ? ((after.cpuSeconds - before.cpuSeconds) * 1e6) / sent : Number.NaN, 1),
    };
  } finally {
    sender.close();
  }
}

async function seedKube(kube: KubeApiserver): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = await kube.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bench-${i}` }, data: { k: 'v'.repeat(512) } } });
    if (r.status !== 201) throw new Error(`seeding the apiserver: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

export async function runProtocols(ctx: BenchContext): Promise<BenchReport> {
  const rounds = ctx.quick ? 1 : 3;
  const durationMs = ctx.quick ? 400 : 4000;
  const warmupMs = ctx.quick ? 100 : 1000;
  const envtest = findEnvtestAssets();
  const withKube = !('problem' in envtest);
  return withScratch(ctx, 'protocols', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const sim = await startSimulatorProcess(group, { dir, pki, seed: { secrets: 30, secretSize: 1024, namespaces: 4, configmaps: 50, pods: 5 } });
    const gateway = await startGatewayProcess(group, { dir, pki, upstream: sim, sections: admissionSections(8 * 2 ** 30) });
    const floors = {
      h1: await startReferenceProxy(group, { dir, pki, upstream: sim, protocol: 'http1.1' }),
      h2: await startReferenceProxy(group, { dir, pki, upstream: sim, protocol: 'http2' }),
    };
    const nginx = nginxBinary() ? await startNginx(group, { dir, pki, upstream: sim }) : undefined;
    const targets = simulatorTargets({ pki, sim, gateway, floors, nginx });
    let kube: KubeApiserver | undefined;
    try {
      if (withKube) {
        kube = await startKubeApiserver();
        await seedKube(kube);
        // A name of its own: its config beside the simulator gateway's (which reloads its file when it changes).
        const onKube = await startGatewayOnKube(group, { dir, kube, name: 'kube-gateway', sections: admissionSections(8 * 2 ** 30) });
        for (const protocol of ['h1', 'h2'] as const) targets[protocol].push(...kubeTargets(kube, onKube));
      }
      const runs: Record<string, Record<string, Figures>> = {};
      const failures: string[] = [];
      for (const protocol of ['h1', 'h2'] as const) {
        for (const workload of ['get', 'list'] as const) {
          for (const c of [16, 1]) {
            const key = `${workload}.${protocol}.c${c}`;
            const per = new Map<string, Figures[]>();
            for (let r = 0; r < rounds; r++) {
              const list = targets[protocol];
              for (let i = 0; i < list.length; i++) {
                const t = list[(i + r) % list.length]!;
                const f = await measure(t, protocol, workload, c, durationMs, warmupMs);
                const label = `${key} ${t.target.name}${rounds > 1 ? ` (round ${r + 1})` : ''}`;
                const failed = f.requests === 0 ? `${label}: no request was answered` : describeErrors(label, f);
                if (failed) failures.push(failed);
                per.set(t.target.name, [...(per.get(t.target.name) ?? []), f]);
              }
            }
            runs[key] = Object.fromEntries([...per].map(([name, all]) => [name, [...all].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(all.length / 2)]!]));
            ctx.log(`${key}: ${Object.entries(runs[key]!).map(([n, f]) => `${n} ${f.requestsPerSecond}/s p99 ${f.p99Ms} ms cpu ${f.cpuMicrosPerRequest} µs${f.errors > 0 ? ` ERRORS ${f.errors}` : ''}`).join(', ')}`);
          }
        }
      }
      return { ...report(runs, { rounds, durationMs, nginx: nginx?.version ?? null, kube: withKube }), failures };
    } finally {
      await kube?.stop();
    }
  });
}

function report(runs: Record<string, Record<string, Figures>>, meta: { rounds: number; durationMs: number; nginx: string | null; kube: boolean }): BenchReport {
  const ratios: Record<string, number> = {};
  const goals: Goal[] = [];
  const summary: string[] = [];
  for (const [key, row] of Object.entries(runs)) {
    const [workload, protocol, c] = key.split('.') as [Workload, ClientProtocol, string];
    const g = row['listgate']!;
    const d = row['direct']!;
    const floor = row[protocol === 'h1' ? 'node-proxy' : 'node-proxy-h2'];
    const name = `${workload}${protocol.toUpperCase()}${c.toUpperCase()}`;
    ratios[`${name}ThroughputListgateVsDirect`] = round(g.requestsPerSecond / d.requestsPerSecond);
    ratios[`${name}AddedP99MsListgate`] = round(g.p99Ms - d.p99Ms);
    let line = `small ${workload.toUpperCase()}s over ${protocol === 'h1' ? 'HTTP/1.1' : 'HTTP/2'}, ${c}: listgate ${g.requestsPerSecond}/s (${ratios[`${name}ThroughputListgateVsDirect`]}× direct), CPU ${g.cpuMicrosPerRequest} µs/request`;
    if (floor) {
      ratios[`${name}CpuListgateVsBareRelay`] = round(g.cpuMicrosPerRequest / floor.cpuMicrosPerRequest);
      line += ` vs the bare relay's ${floor.cpuMicrosPerRequest} µs (${ratios[`${name}CpuListgateVsBareRelay`]}×)`;
      if (c === 'c16' && workload === 'get') goals.push(goal(`CPU per small GET vs the bare Node relay (${protocol}, c=16)`, '≤ 1.2×', g.cpuMicrosPerRequest / floor.cpuMicrosPerRequest, g.cpuMicrosPerRequest <= 1.2 * floor.cpuMicrosPerRequest));
    }
    if (row['nginx']) line += `; nginx ${row['nginx'].cpuMicrosPerRequest} µs`;
    const kd = row['kube-direct'];
    const kg = row['kube-listgate'];
    if (kd && kg) {
      ratios[`${name}ThroughputListgateVsKube`] = round(kg.requestsPerSecond / kd.requestsPerSecond);
      ratios[`${name}AddedP99MsListgateOnKube`] = round(kg.p99Ms - kd.p99Ms);
      line += `; on kube-apiserver ${kg.requestsPerSecond}/s vs direct ${kd.requestsPerSecond}/s (${ratios[`${name}ThroughputListgateVsKube`]}×, p99 +${ratios[`${name}AddedP99MsListgateOnKube`]} ms)`;
      if (c === 'c16' && workload === 'get') goals.push(goal(`small-GET throughput vs direct kube-apiserver (${protocol}, c=16)`, '≥ 0.9×', kg.requestsPerSecond / kd.requestsPerSecond, kg.requestsPerSecond >= 0.9 * kd.requestsPerSecond));
    }
    summary.push(line);
  }
  if (!meta.kube) summary.push('note: no real kube-apiserver in this run (KUBEBUILDER_ASSETS not set)');
  return { figures: { ...meta, runs } as Record<string, unknown>, ratios, goals, summary };
}

export const benchmark: Benchmark = {
  name: 'protocols',
  description: 'small GETs/LISTs at c=1 and c=16 over HTTP/1.1 and HTTP/2: listgate vs direct vs the bare Node relay vs nginx vs kube-apiserver',
  run: runProtocols,
};
