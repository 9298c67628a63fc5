/**
 * `listgate estimate`'s text: one line per thing an operator asks (what, count, size, factors, response,
 * memory, decision), then the estimator's reasons step by step. Pure.
 */
import { formatAge, formatBytes } from '../estimate/format-bytes.js';
import type { EstimateReport } from '../gateway/estimate-report.js';
import { negotiateRepresentation } from '../k8s/media-type.js';

const COUNT_WORDS: Record<string, string> = {
  metrics: "the apiserver's object-count metric",
  probe: 'a limit=1 probe',
  response: 'a whole LIST seen passing through',
  unknown: 'nowhere: unknown, priced at the conservative default',
  none: 'nowhere: no count needed',
};

const SIZE_WORDS: Record<string, string> = {
  namespace: 'learned for this namespace',
  resource: 'learned for the resource',
  page: 'learned for this page of this query',
  config: 'configured seed',
  metrics: 'seeded from apiserver_resource_size_estimate_bytes',
  default: 'default for an unknown resource',
  body: "the request's body",
  none: 'no object size needed',
};

export function formatEstimateReport(r: EstimateReport & { notes?: string[] }): string {
  const enc = negotiateRepresentation(r.request.accept)?.encoding ?? 'json';
  const amp = r.factors.amplification[enc];
  const age = r.sources.countAgeSeconds === null ? (r.sources.count === 'unknown' ? 'unknown age' : '') : formatAge(r.sources.countAgeSeconds);
  const scope = r.namespace ? `in namespace ${r.namespace}` : r.resource ? 'in all namespaces' : '';
  const who = `${r.request.user}${r.request.groups.length ? ` (groups: ${r.request.groups.join(', ')})` : ''}`;
  const lines = [
    `${r.request.method} ${r.request.path}  as ${who}, Accept ${r.request.accept}`,
    ...(r.notes ?? []).map((n) => `note:      ${n}`),
    `request:   ${r.class}${r.resource ? ` ${r.resource} ${scope}` : ''}${r.servedFrom ? `, served from ${r.servedFrom === 'etcd' ? 'etcd' : 'the watch cache'}` : ''}`,
    `objects:   ${r.objects} — count from ${COUNT_WORDS[r.sources.count] ?? r.sources.count}${age ? `, ${age}` : ''}`,
    `size:      ${formatBytes(r.averageObjectBytes)} per object as JSON — ${SIZE_WORDS[r.sources.size] ?? r.sources.size}`,
    `factors:   upstream ${r.factors.upstreamVersion ?? 'version unknown'} → profile ${r.factors.profile} (${r.factors.profileSource}); ${enc}: etcd ${amp.etcd}×, cache ${amp.cache}×`,
    `response:  ≈ ${formatBytes(r.responseBytes)}`,
    `memory:    ≈ ${formatBytes(r.estimatedBytes)} held by the apiserver${r.responseBytes > 0 ? ` (${r.factor}× the response)` : ''}`,
    `decision:  ${r.decision}`,
    ...r.decisionReasons.map((reason) => `           - ${reason}`),
    'why:',
    ...r.reasons.map((reason) => `  - ${reason}`),
  ];
  return `${lines.join('\n')}\n`;
}
