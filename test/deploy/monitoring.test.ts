/**
 * The alerts and the dashboard: valid PromQL (Prometheus's own grammar), only metrics the code
 * registers and only their labels (so a renamed metric breaks this test, not the on-call's night), the
 * alerts that matter with severities and texts, each explained in docs/operations.md, and a dashboard
 * Grafana can lay out.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DEPLOY, REPO, renderOverlay, theObject, type KubeObject } from './support/kustomize.js';
import { metricOfSeries, registeredMetrics, selectorsIn, type RegisteredMetric } from './support/metric-names.js';

/** Labels Prometheus attaches to every scraped series (the ServiceMonitor's target labels). */
const TARGET_LABELS = ['namespace', 'pod', 'job', 'instance', 'service', 'container', 'endpoint'];
const REQUIRED_ALERTS = ['ListgateBudgetSaturated', 'ListgateRejectingRequests', 'ListgateEstimatesTooLow', 'ListgateUpstreamUnreachable', 'ListgateConfigReloadFailing'];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
}

/** Problems with one expression: syntax, unknown series, labels the metrics do not have (in selectors and in by/without). */
function expressionProblems(where: string, expr: string, metrics: ReadonlyMap<string, RegisteredMetric>): string[] {
  const { selectors, groupings, errors } = selectorsIn(expr);
  const problems = errors.map((e) => `${where}: ${e}`);
  for (const { labels, series } of groupings) {
    const available = new Set(TARGET_LABELS);
    for (const s of series) {
      const found = metricOfSeries(s, metrics);
      const known = found ? metrics.get(found.metric)!.labels : undefined;
      if (!found || known === undefined) continue;
      for (const l of [...known, ...found.extraLabels]) available.add(l);
    }
    for (const label of labels) if (!available.has(label)) problems.push(`${where}: no series aggregated here has a label ${label}`);
  }
  for (const { series, labels } of selectors) {
    const found = metricOfSeries(series, metrics);
    if (!found) {
      problems.push(`${where}: ${series} is not a metric the code registers`);
      continue;
    }
    const known = metrics.get(found.metric)!.labels;
    if (known === undefined) continue;
    for (const label of labels) {
      if (![...known, ...found.extraLabels, ...TARGET_LABELS].includes(label)) problems.push(`${where}: ${series} has no label ${label}`);
    }
  }
  return problems;
}

/** Grafana's variables, replaced by values PromQL can parse. */
const withoutVariables = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?(\w+)\}?/g, 'x');

describe('monitoring', () => {
  let metrics: Map<string, RegisteredMetric>;
  let rules: AlertRule[];
  let dashboard: { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } };
  let objects: KubeObject[];
  let operations: string;
  before(async () => {
    metrics = await registeredMetrics(join(REPO, 'src'));
    objects = await renderOverlay('in-front');
    const spec = theObject(objects, 'PrometheusRule').spec as { groups: { rules: AlertRule[] }[] };
    rules = spec.groups.flatMap((g) => g.rules);
    dashboard = JSON.parse(await readFile(join(DEPLOY, 'components/monitoring/listgate-dashboard.json'), 'utf8')) as typeof dashboard;
    operations = await readFile(join(REPO, 'docs/operations.md'), 'utf8');
  });

  it('finds the metrics the code registers, with types and labels', () => {
    assert.deepEqual(metrics.get('listgate_requests_total'), { type: 'counter', labels: ['verb', 'resource', 'decision', 'code'], file: 'src/gateway/gateway-metrics.ts' });
    assert.equal(metrics.get('listgate_upstream_response_seconds')?.type, 'histogram');
    assert.equal(metrics.get('process_resident_memory_bytes')?.type, 'gauge');
  });

  it('alerts in valid PromQL on registered metrics and their labels only', () => {
    assert.deepEqual(rules.flatMap((r) => expressionProblems(r.alert, r.expr, metrics)), []);
    const used = new Set(rules.flatMap((r) => selectorsIn(r.expr).selectors.map((s) => s.series)));
    assert.ok([...used].filter((s) => s.startsWith('listgate_')).length >= 8, 'the alerts read the gateway metrics');
  });

  it('would report a misspelt metric, a label it does not have, a misspelt grouping label and a syntax error (the check can fail)', () => {
    const problems = expressionProblems(
      'test',
      'sum by (pod) (rate(listgate_request_total[5m])) + rate(listgate_upstream_errors_total{verb="get"}[5m]) + sum by (levle) (listgate_admission_in_use_bytes) + rate(listgate_requests_total_bucket[5m]) + (',
      metrics,
    );
    assert.ok(problems.some((p) => p.includes('listgate_request_total is not a metric')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('listgate_upstream_errors_total has no label verb')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('listgate_requests_total_bucket is not a metric')), 'a counter has no buckets');
    assert.ok(problems.some((p) => p.includes('syntax error')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('has a label levle')), problems.join('\n'));
    assert.ok(!problems.some((p) => p.includes('label pod')), 'pod is a target label');
  });

  it('has the alerts that matter, each with a severity, a summary, a description, a duration and a runbook section', () => {
    const names = rules.map((r) => r.alert);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
    for (const required of REQUIRED_ALERTS) assert.ok(names.includes(required), `alert ${required}`);
    for (const rule of rules) {
      assert.match(rule.alert, /^Listgate[A-Z]\w+$/);
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
      assert.ok((rule.annotations?.summary ?? '').length > 10 && (rule.annotations?.description ?? '').length > 60, `${rule.alert}: summary and description`);
      assert.match(rule.for ?? '', /^\d+[smh]$/, `${rule.alert}: fires only when it lasts`);
      assert.match(operations, new RegExp(`^### ${rule.alert}$`, 'm'), `${rule.alert} is explained in docs/operations.md`);
    }
  });

  it('draws the dashboard from registered metrics in valid PromQL', () => {
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 20);
    const problems = panels.flatMap((p) => (p.targets ?? []).flatMap((t) => expressionProblems(p.title, withoutVariables(t.expr), metrics)));
    assert.deepEqual(problems, []);
    const used = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => selectorsIn(withoutVariables(t.expr)).selectors.map((s) => metricOfSeries(s.series, metrics)?.metric))));
    for (const metric of ['listgate_requests_total', 'listgate_admission_in_use_bytes', 'listgate_admission_rejections_total', 'listgate_estimate_error_ratio', 'listgate_upstream_response_seconds', 'listgate_config_last_reload_successful']) {
      assert.ok(used.has(metric), `a panel shows ${metric}`);
    }
  });

  it('lays the dashboard out for Grafana: unique ids, 24 columns, no overlap, a description per panel, templated data source', () => {
    assert.equal(dashboard.uid, 'listgate');
    assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'namespace', 'pod']);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: within 24 columns`);
      if (p.type !== 'row') assert.ok((p.description ?? '').length > 30, `${p.title}: says what it shows`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('ships the dashboard file as the ConfigMap Grafana picks up', async () => {
    const configMap = theObject(objects, 'ConfigMap', 'listgate-dashboard');
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    const file = await readFile(join(DEPLOY, 'components/monitoring/listgate-dashboard.json'), 'utf8');
    assert.equal((configMap.data as Record<string, string>)['listgate-dashboard.json'], file);
  });
});
