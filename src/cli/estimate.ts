/**
 * `listgate estimate --config FILE [--as USER] [--group G …] [--accept MEDIA] [-o json] PATH?QUERY`: what
 * the gateway estimates a request will cost the apiserver, and why. It asks the running gateway first
 * (`GET /debug/estimate` on its ops port: its learned sizes, its census, admission's dry run); when that
 * is not reachable it builds an estimator from FILE against the upstream directly (one /metrics scrape and
 * one `limit=1` probe with the gateway's own credentials, nothing learned from traffic) and says so.
 */
import { Registry } from 'prom-client';
import { anonymousUser, ALL_AUTHENTICATED, type UserInfo } from '../auth/user-info.js';
import { loadConfigFile, readTlsFiles, type Config } from '../config/config.js';
import { createEstimator } from '../estimate/create-estimator.js';
import { classifyRequest } from '../gateway/classify-request.js';
import { CENSUS_MAX_SOCKETS } from '../gateway/census-upstream.js';
import { estimateInputOf } from '../gateway/estimate-step.js';
import { buildEstimateReport, type EstimateReport } from '../gateway/estimate-report.js';
import { createUpstreamClient } from '../gateway/upstream-client.js';
import { CliError, parseFlags } from './args.js';
import { formatEstimateReport } from './format-estimate.js';

export interface EstimateOutcome extends EstimateReport {
  /** Where the estimate came from, in words (the gateway's URL, or why not and what instead). */
  notes: string[];
}

function opsUrlOf(config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.ops.address) ? '127.0.0.1' : config.ops.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.ops.port}`;
}

async function askGateway(opsUrl: string, query: URLSearchParams): Promise<EstimateReport | string> {
  try {
    const res = await fetch(`${opsUrl}/debug/estimate?${query}`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return `${opsUrl}/debug/estimate answered ${res.status}`;
    return (await res.json()) as EstimateReport;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `the gateway at ${opsUrl} is not reachable (${cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))})`;
  }
}

async function estimateFromUpstream(config: Config, q: { method: string; path: string; accept: string; user: UserInfo }, notes: string[]): Promise<EstimateReport> {
  const upstream = createUpstreamClient({ upstream: { ...config.upstream, maxSockets: CENSUS_MAX_SOCKETS }, files: readTlsFiles(config).upstream });
  try {
    const estimator = createEstimator({ settings: config.estimator, upstream, registry: new Registry(), now: Date.now });
    await estimator.discover();
    try {
      await estimator.census.refreshMetrics();
    } catch (err) {
      notes.push(`the upstream's /metrics could not be read (${err instanceof Error ? err.message : String(err)})`);
    }
    const headers = { accept: q.accept };
    const classification = classifyRequest(q.method, q.path, headers);
    const input = estimateInputOf(classification, headers);
    await estimator.refreshCount(input);
    await estimator.prepare(input);
    const report = buildEstimateReport({ via: 'upstream', ...q, classification, estimate: estimator.estimate(input), factors: estimator.factors(), consistentReads: estimator.consistentReads() });
    return { ...report, decision: 'unknown: the gateway is not reachable', decisionReasons: ["admission's state (leases, queues) lives in the running gateway"] };
  } finally {
    upstream.close();
  }
}

export async function runEstimate(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'estimate',
    argv,
    {
        config: { type: 'string' },
      as: { type: 'string' },
      group: { type: 'string', multiple: true },
      accept: { type: 'string' },
      method: { type: 'string' },
      'ops-url': { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    true,
  );
  if (typeof values.config !== 'string') throw new CliError("listgate estimate: --config FILE is required (see 'listgate estimate --help')");
  if (positionals.length !== 1 || !positionals[0]!.startsWith('/')) throw new CliError("listgate estimate: exactly one PATH?QUERY starting with / is required (see 'listgate estimate --help')");
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new CliError(`listgate estimate: -o must be json or text, got "${String(output)}"`);
  const path = positionals[0]!;
  const method = (typeof values.method === 'string' ? values.method : 'GET').toUpperCase();
  const accept = typeof values.accept === 'string' ? values.accept : 'application/json';
  const groups = Array.isArray(values.group) ? values.group : [];
  const user: UserInfo = typeof values.as === 'string' ? { username: values.as, groups: [...new Set([...groups, ALL_AUTHENTICATED])], extra: {} } : anonymousUser();

  const config = await loadConfigFile(values.config);
  const opsUrl = typeof values['ops-url'] === 'string' ? values['ops-url'].replace(/\/+$/, '') : opsUrlOf(config);
  const query = new URLSearchParams({ path, method, accept });
  if (typeof values.as === 'string') query.set('user', values.as);
  for (const g of groups) query.append('group', g);
  const notes: string[] = [];
  const asked = await askGateway(opsUrl, query);
  let report: EstimateReport;
  if (typeof asked !== 'string') {
    report = asked;
    notes.push(`estimated by the running gateway (${opsUrl}/debug/estimate): its census and learned sizes`);
  } else {
    notes.push(`${asked}: estimated by a fresh estimator from ${values.config} against ${config.upstream.server} directly; nothing learned from traffic`);
    report = await estimateFromUpstream(config, { method, path, accept, user }, notes);
  }
  const outcome: EstimateOutcome = { ...report, notes };
  process.stdout.write(output === 'json' ? `${JSON.stringify(outcome, null, 2)}\n` : formatEstimateReport(outcome));
}
