/**
 * Upstream legs: what the leg from a Node.js relay to the upstream costs, by the client it uses. Small GETs
 * at concurrency 16 over HTTP/1.1 from the client, to the simulator through the bare relay
 * (reference-proxy.ts) with three upstream legs — node:https with a keep-alive Agent, node:http2 (one
 * connection, a stream per request) and an undici Pool (HTTP/1.1, keep-alive) — and through listgate
 * with `upstream.protocol: http1.1` (node:https) and `http2` (node:http2). CPU per request of the relay
 * process, interleaved rounds (the order rotates), the median round. It answers which leg listgate
 * should use; it sets no goal.
 */
import { admissionSections } from './lib/admission-section.js';
import { startGatewayProcess, startSimulatorProcess, writeBenchPki } from './lib/bench-stack.js';
import type { BenchContext, BenchReport, Benchmark } from './lib/benchmark.js';
import { round } from './lib/latency.js';
import { describeErrors, runLoad } from './lib/load-generator.js';
import { readProcGroupStats } from './lib/proc-stats.js';
import { senderFor, type ProtocolTarget } from './lib/protocol-targets.js';
import { startReferenceProxy } from './lib/reference-proxy.js';
import { withScratch } from './lib/scratch.js';

const GETS = ['/api/v1/namespaces/default/configmaps/config-0', '/api/v1/namespaces/ns-0/configmaps/config-1', '/api/v1/namespaces/ns-1/secrets/secret-2'];

interface LegFigures {
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
}

export async function runUpstreamLegs(ctx: BenchContext): Promise<BenchReport> {
  const rounds = ctx.quick ? 1 : 5;
  const durationMs = ctx.quick ? 500 : 4000;
  const warmupMs = ctx.quick ? 100 : 1000;
  return withScratch(ctx, 'upstream-legs', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const sim = await startSimulatorProcess(group, { dir, pki, seed: { secrets: 30, secretSize: 1024, namespaces: 4, configmaps: 50, pods: 5 } });
    const relays = [
      await startReferenceProxy(group, { dir, pki, upstream: sim, protocol: 'http1.1' }),
      await startReferenceProxy(group, { dir, pki, upstream: sim, protocol: 'http2' }),
      await startReferenceProxy(group, { dir, pki, upstream: sim, protocol: 'undici' }),
    ];
    const gateways = [
      await startGatewayProcess(group, { dir, pki, upstream: sim, name: 'listgate-https', sections: admissionSections(8 * 2 ** 30), upstreamSettings: { protocol: 'http1.1' } }),
      await startGatewayProcess(group, { dir, pki, upstream: sim, name: 'listgate-http2', sections: admissionSections(8 * 2 ** 30), upstreamSettings: { protocol: 'http2' } }),
    ];
    const names = ['relay node:https', 'relay node:http2', 'relay undici', 'listgate node:https', 'listgate node:http2'];
    const targets: ProtocolTarget[] = [
      ...relays.map((r) => ({ target: r.target, backend: 'sim' as const, identity: pki.user, pids: () => [r.proc.pid] })),
      ...gateways.map((g) => ({ target: g.target, backend: 'sim' as const, identity: pki.user, pids: () => [g.proc.pid] })),
    ];
    const per = new Map<string, LegFigures[]>();
    const failures: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < targets.length; i++) {
        const at = (i + r) % targets.length;
        const t = targets[at]!;
        const sender = senderFor(t, 'h1', 16);
        try {
          const before = readProcGroupStats(t.pids());
          const load = await runLoad({ target: t.target, send: sender.send, paths: GETS, concurrency: 16, durationMs, warmupMs });
          const after = readProcGroupStats(t.pids());
          const sent = load.requestsPerSecond * ((durationMs + warmupMs) / 1000);
          const failed = load.requests === 0 ? `${names[at]}: no request was answered` : describeErrors(names[at]!, load);
          if (failed) failures.push(failed);
          per.set(names[at]!, [
            ...(per.get(names[at]!) ?? []),
            { requestsPerSecond: round(load.requestsPerSecond, 1), p99Ms: round(load.latency.p99Ms), cpuMicrosPerRequest: before && after ? round(((after.cpuSeconds - before.cpuSeconds) / sent) * 1e6, 1) : Number.NaN },
          ]);
        } finally {
          sender.close();
        }
      }
    }
    const median = (all: LegFigures[]) => [...all].sort((a, b) => a.cpuMicrosPerRequest - b.cpuMicrosPerRequest)[Math.floor(all.length / 2)]!;
    const legs = Object.fromEntries([...per].map(([name, all]) => [name, median(all)]));
    const cpu = (name: string) => legs[name]!.cpuMicrosPerRequest;
    const ratios = {
      relayHttp2VsHttps: round(cpu('relay node:http2') / cpu('relay node:https')),
      relayUndiciVsHttps: round(cpu('relay undici') / cpu('relay node:https')),
      listgateHttp2VsHttps: round(cpu('listgate node:http2') / cpu('listgate node:https')),
      listgateHttpsVsRelayHttps: round(cpu('listgate node:https') / cpu('relay node:https')),
    };
    const cheapest = ['relay node:https', 'relay node:http2', 'relay undici'].sort((a, b) => cpu(a) - cpu(b))[0]!;
    return {
      figures: { rounds, durationMs, legs },
      ratios,
      goals: [],
      failures,
      summary: [
        `CPU per small GET (c=16, HTTP/1.1 from the client), median of ${rounds} rounds: ${Object.entries(legs).map(([n, f]) => `${n} ${f.cpuMicrosPerRequest} µs (${f.requestsPerSecond}/s)`).join(', ')}`,
        `bare relay: node:http2 ${ratios.relayHttp2VsHttps}×, undici ${ratios.relayUndiciVsHttps}× the node:https leg; cheapest leg: ${cheapest.replace('relay ', '')}`,
        `listgate: node:http2 upstream ${ratios.listgateHttp2VsHttps}× its node:https upstream; listgate (node:https) ${ratios.listgateHttpsVsRelayHttps}× the bare relay on the same leg`,
      ],
    };
  });
}

export const benchmark: Benchmark = {
  name: 'upstream-legs',
  description: "the upstream leg's CPU per small GET: node:https vs node:http2 vs undici in a bare relay, and listgate's two legs",
  run: runUpstreamLegs,
};
