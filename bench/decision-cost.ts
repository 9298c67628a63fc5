/**
 * Decision cost: what the gateway computes per request before it proxies, timed in-process over many
 * iterations on a mix of requests (a GET, a LIST from the cache, a Table LIST with a selector, a watch):
 * - authenticate (cached): a client certificate on a keep-alive connection already verified (its first
 *   request verifies the chain, timed apart), or a bearer token found in the TokenReview cache;
 * - classify; estimate (warm models);
 * - admit: a service account under the default levels — the GET and the watch pass, the two LISTs take
 *   a lease and give it back.
 * In microseconds per request, set against the proxied round trip the overhead benchmark measured in
 * the same run.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createAuthMetrics } from '../src/auth/auth-metrics.js';
import { createRequestAuthenticator } from '../src/auth/authenticate-request.js';
import { createTokenAuthenticator } from '../src/auth/token-authenticator.js';
import { verifyClientCertificate } from '../src/auth/verify-client-cert.js';
import { createDevPki } from '../src/certs/dev-pki.js';
import { createEstimator } from '../src/estimate/create-estimator.js';
import { classifyRequest } from '../src/gateway/classify-request.js';
import { createAdmissionProbe } from './lib/admission-probe.js';
import { type BenchContext, type BenchReport, type Benchmark, type BenchResultFile } from './lib/benchmark.js';
import { round } from './lib/latency.js';
import { createSink, timeAsync, timeSync, type Timing } from './lib/microbench.js';

const REQUESTS = [
  { method: 'GET', url: '/api/v1/namespaces/ns-1/configmaps/config-7', accept: 'application/json' },
  { method: 'GET', url: '/api/v1/namespaces/ns-1/secrets?limit=500&resourceVersion=0', accept: 'application/json' },
  { method: 'GET', url: '/api/v1/secrets?labelSelector=app%3Dapp-1', accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
  { method: 'GET', url: '/apis/apps/v1/deployments?watch=true&resourceVersion=1234&allowWatchBookmarks=true', accept: 'application/json' },
] as const;

/**
 * What the authenticator reads of a request on a TLS connection: its socket's peer certificate. A stand-in
 * for Node's TLSSocket and IncomingMessage, so the authenticator runs in-process without a handshake.
 */
function stubTlsConnection(der: Buffer): IncomingMessage {
  const socket = { getPeerCertificate: () => ({ raw: der, fingerprint256: 'bench-leaf', issuerCertificate: undefined }) };
  return { socket, rawHeaders: [], headers: {} } as unknown as IncomingMessage;
}

/** The gateway's round trip for a small GET at concurrency 1 from this run's overhead benchmark (else an earlier run's file). */
async function proxyRoundTrip(ctx: BenchContext): Promise<{ p50Ms: number; addedP50Ms: number; from: string } | undefined> {
  let figures = ctx.earlier.get('overhead')?.figures;
  let from = 'this run';
  if (!figures) {
    try {
      figures = (JSON.parse(await readFile(join(ctx.resultsDir, 'overhead.json'), 'utf8')) as BenchResultFile).figures;
      from = 'an earlier run (overhead.json)';
    } catch {
      return undefined;
    }
  }
  const row = (figures as { runs?: Record<string, Record<string, Record<string, { p50Ms: number }>>> }).runs?.get?.['1'];
  if (!row?.listgate || !row.direct) return undefined;
  return { p50Ms: row.listgate.p50Ms, addedP50Ms: row.listgate.p50Ms - row.direct.p50Ms, from };
}

export async function runDecisionCost(ctx: BenchContext): Promise<BenchReport> {
  const iterations = ctx.quick ? 2000 : 50_000;
  const batches = ctx.quick ? 5 : 15;
  const sink = createSink();
  const opts = { iterations, batches, sink };
  const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

  // authenticate, client certificate: the first request on a connection verifies the chain against the
  // CA; later requests on the same keep-alive connection find it verified (the cached path).
  const pki = createDevPki();
  const chain = [new X509Certificate(pki.user.certPem)];
  const roots = [new X509Certificate(pki.ca.certPem)];
  const now = new Date();
  const x509Verify = timeSync(() => verifyClientCertificate({ chain, roots, now }), opts);
  const certAuth = createRequestAuthenticator({ clientCAs: roots, tokens: undefined, anonymous: false });
  const connection = stubTlsConnection(chain[0]!.raw);
  const first = await certAuth.authenticate(connection);
  if (!first.ok || first.user.username !== 'jane') throw new Error(`the certificate did not authenticate: ${JSON.stringify(first)}`);
  const x509 = await timeAsync(() => certAuth.authenticate(connection), opts);

  // authenticate: a bearer token whose TokenReview is cached.
  const registry = new Registry();
  const tokens = createTokenAuthenticator({
    reviewer: { review: () => Promise.resolve({ authenticated: true as const, user: { username: 'ci-bot', groups: ['ci', 'system:authenticated'], uid: 'u', extra: {} } }) },
    config: { enabled: true, audiences: [], cacheTtlMs: 120_000, negativeCacheTtlMs: 10_000, cacheSize: 10_000, timeoutMs: 10_000, limits: { concurrent: 32, perSecond: 200, perClientConcurrent: 4, perClientPerSecond: 20 } },
    metrics: createAuthMetrics(registry),
  });
  const token = 'bench-token-0123456789abcdefghijklmnopqrstuvwxyz';
  await tokens.authenticate(token);
  const tokenCached = await timeAsync(() => tokens.authenticate(token), opts);

  const classify = timeSync((i) => {
    const r = pick(REQUESTS, i);
    return classifyRequest(r.method, r.url, { accept: r.accept });
  }, opts);

  // estimate: warm models (counts and sizes known), as after the first census scrape.
  const estimator = createEstimator({ registry, now: Date.now, settings: { sizes: { seeds: [{ group: '', resource: 'secrets', bytes: 16 * 1024 }] } } });
  for (const [resource, count] of [['secrets', 400], ['configmaps', 2000]] as const) {
    estimator.census.observe({ group: '', resource, count, source: 'metrics' });
    estimator.census.observe({ group: '', resource, namespace: 'ns-1', count: count / 4, source: 'metrics' });
  }
  estimator.census.observe({ group: 'apps', resource: 'deployments', count: 100, source: 'metrics' });
  const inputs = REQUESTS.map((r) => {
    const c = classifyRequest(r.method, r.url, { accept: r.accept });
    return { info: c.info, options: c.listOptions, representation: c.representation };
  });
  const estimate = timeSync((i) => estimator.estimate(pick(inputs, i)), opts);

  const admission = createAdmissionProbe();
  const decided = REQUESTS.map((r, i) => ({ info: inputs[i]!.info, method: r.method, url: r.url, estimate: estimator.estimate(inputs[i]!) }));
  const admit = await admission.time(decided, opts);

  const steps: Record<string, Timing> = { authenticateX509Cached: x509, authenticateTokenCached: tokenCached, classify, estimate, admit };
  const rest = classify.micros + estimate.micros + admit.micros;
  const totalX509 = x509.micros + rest;
  const totalToken = tokenCached.micros + rest;
  const trip = await proxyRoundTrip(ctx);
  const ratios: Record<string, number> = {};
  const summary = [
    `per request: authenticate x509 ${x509.micros} µs (connection verified; its first request verifies the chain: ${x509Verify.micros} µs; token, cached ${tokenCached.micros} µs) + classify ${classify.micros} µs + estimate ${estimate.micros} µs` +
      ` + admit ${admit.micros} µs` +
      ` = ${round(totalX509, 1)} µs with a certificate, ${round(totalToken, 1)} µs with a cached token`,
  ];
  if (trip) {
    ratios.decisionVsProxyRoundTrip = round(totalX509 / (trip.p50Ms * 1000), 4);
    ratios.decisionVsAddedLatency = round(totalX509 / (trip.addedP50Ms * 1000), 4);
    summary.push(
      `that is ${round(ratios.decisionVsProxyRoundTrip * 100, 1)}% of the proxied round trip (p50 ${trip.p50Ms} ms, c=1) ` +
        `and ${round(ratios.decisionVsAddedLatency * 100, 1)}% of the latency listgate adds (${round(trip.addedP50Ms, 3)} ms), from ${trip.from}`,
    );
  } else {
    summary.push('no overhead result to compare with (run the overhead benchmark first)');
  }
  return {
    figures: {
      firstRequestOnConnection: { verifyClientCertificate: x509Verify },
      admission: { weighedRequests: decided.filter((d) => d.estimate.estimatedBytes >= 2 ** 20 && d.estimate.class === 'list').map((d) => d.url), leasesTaken: admission.leased },
      microsPerRequest: { withCertificate: round(totalX509, 3), withCachedToken: round(totalToken, 3) }, steps, requests: REQUESTS, proxyRoundTrip: trip ?? null, sinkCount: sink.count },
    ratios,
    // The issue sets no target for the decision cost: it is reported, not judged.
    goals: [],
    summary,
  };
}

export const benchmark: Benchmark = {
  name: 'decision-cost',
  description: 'authenticate (cached) + classify + estimate + admit per request, in microseconds',
  run: runDecisionCost,
};
