/**
 * Watches: 10,000 concurrent watches through one gateway (quick: 300), opened as client-go opens them
 * (streams on HTTP/2 connections to the gateway, which multiplexes them over HTTP/2 to the simulator),
 * with small GETs alongside over HTTP/1.1, in two ways: paced at `PACED_RATE` a second (16 workers), whose
 * p99 is the service time a short request gets and is what the goal judges, and a closed loop at
 * concurrency 16 that saturates the 2 cores the load generator, gateway, simulator and watch holder share
 * (its throughput says what the watches cost; its p99 is mostly the queue it builds). Each against the
 * same GETs before any watch; the gateway's RSS and CPU, and how many upstream connections carry the
 * watches. The watches start at the collection's current resourceVersion, so they hold their slots
 * without a flood of initial events; bookmarks flow as the simulator sends them. A failed GET or a refused
 * watch fails the run (`failures`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admissionSections } from './lib/admission-section.js';
import { sampleValue, startGatewayProcess, startSimulatorProcess, writeBenchPki, type GatewayProcess } from './lib/bench-stack.js';
import { goal, type BenchContext, type BenchReport, type Benchmark } from './lib/benchmark.js';
import { createClientAgent, fetchOnce, listResourceVersion } from './lib/https-client.js';
import { round } from './lib/latency.js';
import { describeErrors, runLoad, type LoadResult } from './lib/load-generator.js';
import { readProcStats } from './lib/proc-stats.js';
import { withScratch } from './lib/scratch.js';
import { parseMetricsText } from '../src/estimate/prometheus-text.js';

const GETS = ['/api/v1/namespaces/default/configmaps/config-0', '/api/v1/namespaces/ns-0/configmaps/config-1', '/api/v1/namespaces/ns-1/secrets/secret-2'];
/** Streams per client connection: under the gateway's listen.http2MaxConcurrentStreams (250). */
const STREAMS_PER_CONNECTION = 200;
/** Small GETs a second in the paced phases: about a seventh of what the gateway serves here at saturation. */
const PACED_RATE = 250;

interface Phase {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The errors by status or error code (load-generator.ts). */
  errorKinds: Record<string, number>;
  /** Requests recorded (the errors among them). */
  requests: number;
  gatewayRssBytes: number;
  /** Gateway CPU during the phase, as a share of one core. */
  gatewayCpuCores: number;
}

async function getsPhase(gateway: GatewayProcess, run: () => Promise<LoadResult>): Promise<Phase> {
  const before = readProcStats(gateway.proc.pid);
  const started = performance.now();
  const load = await run();
  const seconds = (performance.now() - started) / 1000;
  const after = readProcStats(gateway.proc.pid);
  return {
    requestsPerSecond: round(load.requestsPerSecond, 1),
    p50Ms: round(load.latency.p50Ms),
    p99Ms: round(load.latency.p99Ms),
    errors: load.errors,
    errorKinds: load.errorKinds,
    requests: load.requests,
    gatewayRssBytes: after?.rssBytes ?? Number.NaN,
    gatewayCpuCores: round(before && after ? (after.cpuSeconds - before.cpuSeconds) / seconds : Number.NaN),
  };
}

export async function runWatches(ctx: BenchContext): Promise<BenchReport> {
  const watches = ctx.quick ? 300 : 10_000;
  const durationMs = ctx.quick ? 500 : 5000;
  const warmupMs = ctx.quick ? 200 : 1000;
  const pacedMs = ctx.quick ? 1000 : 10_000;
  return withScratch(ctx, 'watches', async ({ dir, group }) => {
    const pki = await writeBenchPki(dir);
    const sim = await startSimulatorProcess(group, { dir, pki, seed: { secrets: 30, secretSize: 1024, namespaces: 4, configmaps: 20, pods: 5 } });
    const gateway = await startGatewayProcess(group, { dir, pki, upstream: sim, sections: admissionSections(8 * 2 ** 30), upstreamSettings: { maxLongRunning: 16_384 } });
    const agent = createClientAgent(pki.user, { maxSockets: 16 });
    const gets = () => runLoad({ target: gateway.target, agent, paths: GETS, concurrency: 16, durationMs, warmupMs });
    const paced = () => runLoad({ target: gateway.target, agent, paths: GETS, concurrency: 16, durationMs: pacedMs, warmupMs, ratePerSecond: PACED_RATE });
    const without = await getsPhase(gateway, gets);
    const pacedWithout = await getsPhase(gateway, paced);
    ctx.log(`no watches: ${without.requestsPerSecond}/s p50 ${without.p50Ms} ms p99 ${without.p99Ms} ms; paced ${pacedWithout.requestsPerSecond}/s p50 ${pacedWithout.p50Ms} ms p99 ${pacedWithout.p99Ms} ms; RSS ${Math.round(without.gatewayRssBytes / 2 ** 20)} MiB`);

    const rv = listResourceVersion((await fetchOnce({ target: gateway.target, path: '/api/v1/configmaps?limit=1', agent })).head);
    // The watches' client is a process of its own (watch-holder.ts): its streams weigh on the machine,
    // not on the event loop timing the GETs.
    const openedAt = performance.now();
    const holder = await group.spawn({
      name: 'watch-holder',
      command: process.execPath,
      args: [
        fileURLToPath(new URL('./lib/watch-holder.js', import.meta.url)),
        gateway.target.host,
        String(gateway.target.port),
        pki.dir,
        String(watches),
        String(STREAMS_PER_CONNECTION),
        `/api/v1/namespaces/ns-0/configmaps?watch=true&allowWatchBookmarks=true&n={i}${rv ? `&resourceVersion=${rv}` : ''}`,
      ],
      dir,
      ready: async () => /^open \d+/m.test(await readFile(join(dir, 'watch-holder.log'), 'utf8').catch(() => '')),
      timeoutMs: 300_000,
    });
    const [, openText, refusedText] = /^open (\d+) refused (\d+)/m.exec(await readFile(holder.logFile, 'utf8'))!;
    const open = Number(openText);
    const refused = Number(refusedText);
    const openSeconds = (performance.now() - openedAt) / 1000;
    const metrics = parseMetricsText(await gateway.metricsText()).samples;
    const upstreamConnections = sampleValue(metrics, 'listgate_upstream_connections', { lane: 'long', protocol: 'http2' }) ?? Number.NaN;
    const upstreamWatches = sampleValue(metrics, 'listgate_upstream_requests_in_flight', { lane: 'long', protocol: 'http2' }) ?? Number.NaN;
    ctx.log(`${open} watches open in ${openSeconds.toFixed(1)} s (${refused} refused) over ${upstreamConnections} upstream connections`);
    const withWatches = await getsPhase(gateway, gets);
    const pacedWith = await getsPhase(gateway, paced);
    ctx.log(`${open} watches: ${withWatches.requestsPerSecond}/s p50 ${withWatches.p50Ms} ms p99 ${withWatches.p99Ms} ms; paced ${pacedWith.requestsPerSecond}/s p50 ${pacedWith.p50Ms} ms p99 ${pacedWith.p99Ms} ms; RSS ${Math.round(withWatches.gatewayRssBytes / 2 ** 20)} MiB`);
    await holder.stop();
    agent.destroy();

    // An error is breakage, not a measurement: small GETs that failed, or watches the gateway refused.
    const failures = [
      describeErrors('small GETs without watches', without),
      describeErrors(`small GETs with ${open} watches open`, withWatches),
      describeErrors('paced small GETs without watches', pacedWithout),
      describeErrors(`paced small GETs with ${open} watches open`, pacedWith),
      refused > 0 ? `${refused} of ${watches} watches were refused or failed to open` : undefined,
    ].filter((f): f is string => f !== undefined);
    const addedP99 = pacedWith.p99Ms - pacedWithout.p99Ms;
    const saturatedAddedP99 = withWatches.p99Ms - without.p99Ms;
    const rssGiB = withWatches.gatewayRssBytes / 2 ** 30;
    const ratios = {
      pacedAddedP50Ms: round(pacedWith.p50Ms - pacedWithout.p50Ms),
      pacedAddedP99Ms: round(addedP99),
      saturatedAddedP50Ms: round(withWatches.p50Ms - without.p50Ms),
      saturatedAddedP99Ms: round(saturatedAddedP99),
      throughputWithVsWithout: round(withWatches.requestsPerSecond / without.requestsPerSecond),
      gatewayRssMiBPerThousandWatches: round((withWatches.gatewayRssBytes - without.gatewayRssBytes) / 2 ** 20 / (open / 1000), 1),
    };
    return {
      figures: { watches, open: open, refused, openSeconds: round(openSeconds, 1), upstreamConnections, upstreamWatches, pacedRate: PACED_RATE, without, withWatches, pacedWithout, pacedWith } as unknown as Record<string, unknown>,
      ratios,
      goals: [
        goal(`all ${watches} watches open`, `${watches}`, open, open === watches, 0),
        goal(`small-GET p99 (paced, ${PACED_RATE}/s) with the watches open vs without`, '≤ +1 ms', addedP99, addedP99 <= 1, 3),
        goal('gateway RSS with the watches open', '≤ 1 GiB', rssGiB, rssGiB <= 1, 3),
      ],
      failures,
      summary: [
        `${open} of ${watches} watches open through one gateway (in ${openSeconds.toFixed(1)} s), carried upstream by ${upstreamConnections} HTTP/2 connections (${upstreamWatches} streams)`,
        `small GETs paced at ${PACED_RATE}/s (HTTP/1.1) without watches: p50 ${pacedWithout.p50Ms} ms, p99 ${pacedWithout.p99Ms} ms; with them: p50 ${pacedWith.p50Ms} ms, p99 ${pacedWith.p99Ms} ms (p99 ${addedP99 >= 0 ? '+' : ''}${round(addedP99)} ms)`,
        `small GETs in a closed loop (c=16, saturating the 2 cores) without watches: ${without.requestsPerSecond}/s, p50 ${without.p50Ms} ms, p99 ${without.p99Ms} ms; with them: ${withWatches.requestsPerSecond}/s (${ratios.throughputWithVsWithout}×), p50 ${withWatches.p50Ms} ms, p99 ${withWatches.p99Ms} ms (p99 ${saturatedAddedP99 >= 0 ? '+' : ''}${round(saturatedAddedP99)} ms)`,
        `gateway RSS ${Math.round(without.gatewayRssBytes / 2 ** 20)} MiB → ${Math.round(withWatches.gatewayRssBytes / 2 ** 20)} MiB (${ratios.gatewayRssMiBPerThousandWatches} MiB per 1000 watches); CPU ${without.gatewayCpuCores} → ${withWatches.gatewayCpuCores} cores during the GETs`,
      ],
    };
  });
}

export const benchmark: Benchmark = {
  name: 'watches',
  description: '10,000 concurrent watches through one gateway with small GETs alongside (p50/p99 vs without, RSS, CPU)',
  run: runWatches,
};
