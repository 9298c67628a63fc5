/**
 * Which metrics exist, and which ones PromQL expressions use.
 * - registeredMetrics(): every metric the source registers with prom-client, read from src/**.ts with
 *   the TypeScript parser: `new Counter|Gauge|Histogram|Summary({ name: 'listgate_…', labelNames })` and
 *   helper calls named after the type (`counter(registry, 'listgate_…', help, ['label'])`), plus
 *   prom-client's default process_/nodejs_ metrics the app collects.
 * - selectorsIn(expr): the metric selectors of an expression, parsed by Prometheus's own PromQL grammar
 *   (@prometheus-io/lezer-promql), with the label names each matches on, and each aggregation's
 *   by/without labels with the series it aggregates; syntax errors are reported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { collectDefaultMetrics, Registry } from 'prom-client';
import ts from 'typescript';

export interface RegisteredMetric {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  /** Undefined when the label names are not a literal list at the registration. */
  labels?: string[];
  file: string;
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary']);

function stringList(node: ts.Node | undefined): string[] | undefined {
  let n = node;
  while (n && (ts.isAsExpression(n) || ts.isParenthesizedExpression(n))) n = n.expression;
  if (!n || !ts.isArrayLiteralExpression(n) || !n.elements.every(ts.isStringLiteral)) return undefined;
  return n.elements.map((e) => (e as ts.StringLiteral).text);
}

/** The literal labelNames inside a local helper (`const levelGauge = (name, …) => new Gauge({ name, labelNames: ['level'] })`). */
function helperLabels(source: ts.SourceFile, name: string): string[] | undefined {
  let labels: string[] | undefined;
  const inHelper = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && node.name.getText() === 'labelNames') labels ??= stringList(node.initializer);
    ts.forEachChild(node, inHelper);
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node)) && node.name?.getText() === name) inHelper(node);
    else ts.forEachChild(node, visit);
  };
  visit(source);
  return labels;
}

function registrationsIn(file: string, text: string, into: Map<string, RegisteredMetric>): void {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) && /^listgate_\w+$/.test(node.text)) {
      const parent = node.parent;
      let found: Omit<RegisteredMetric, 'file'> | undefined;
      if (ts.isPropertyAssignment(parent) && parent.name.getText() === 'name' && ts.isObjectLiteralExpression(parent.parent)) {
        const ctor = parent.parent.parent;
        const type = ts.isNewExpression(ctor) ? ctor.expression.getText().toLowerCase() : '';
        const labelNames = parent.parent.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'labelNames');
        if (TYPES.has(type)) found = { type: type as RegisteredMetric['type'], labels: labelNames ? stringList(labelNames.initializer) : [] };
      } else if (ts.isCallExpression(parent) && parent.arguments.includes(node)) {
        const callee = parent.expression.getText();
        const type = [...TYPES].find((t) => callee.toLowerCase().endsWith(t));
        const lists = parent.arguments.map(stringList).filter((l) => l !== undefined);
        if (type) found = { type: type as RegisteredMetric['type'], labels: lists[0] ?? helperLabels(source, callee) };
      }
      if (found) into.set(node.text, { ...found, file });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

export async function registeredMetrics(srcDir: string): Promise<Map<string, RegisteredMetric>> {
  const metrics = new Map<string, RegisteredMetric>();
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const f of files) registrationsIn(join('src', f), readFileSync(join(srcDir, f), 'utf8'), metrics);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const m of await registry.getMetricsAsJSON()) {
    metrics.set(m.name, { type: String(m.type) as RegisteredMetric['type'], file: 'prom-client default metrics' });
  }
  return metrics;
}

/** The metric a series name belongs to: histogram series carry _bucket/_sum/_count, summaries _sum/_count. */
export function metricOfSeries(series: string, metrics: ReadonlyMap<string, RegisteredMetric>): { metric: string; extraLabels: string[] } | undefined {
  if (metrics.has(series)) return { metric: series, extraLabels: metrics.get(series)!.type === 'summary' ? ['quantile'] : [] };
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m ? metrics.get(m[1]!) : undefined;
  if (!m || !base) return undefined;
  if (base.type === 'histogram') return { metric: m[1]!, extraLabels: m[2] === 'bucket' ? ['le'] : [] };
  if (base.type === 'summary' && m[2] !== 'bucket') return { metric: m[1]!, extraLabels: [] };
  return undefined;
}

export interface Selector {
  series: string;
  labels: string[];
}

/** An aggregation's `by (…)` / `without (…)` labels and the series it aggregates over. */
export interface Grouping {
  labels: string[];
  series: string[];
}

/** Selectors and aggregations of a PromQL expression, and its syntax errors (with the text around each). */
export function selectorsIn(expr: string): { selectors: Selector[]; groupings: Grouping[]; errors: string[] } {
  const found: (Selector & { at: number })[] = [];
  const aggregations: { labels: string[]; from: number; to: number }[] = [];
  const errors: string[] = [];
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        const matchers = node.node.getChild('LabelMatchers');
        const labels = matchers ? matchers.getChildren('UnquotedLabelMatcher').map((m) => text(m.firstChild!)) : [];
        if (id) found.push({ series: text(id), labels, at: node.from });
      }
      const body = node.name === 'AggregateExpr' ? node.node.getChild('FunctionCallBody') : null;
      const grouping = node.node.getChild('AggregateModifier')?.getChild('GroupingLabels');
      if (body && grouping) aggregations.push({ labels: grouping.getChildren('LabelName').map(text), from: body.from, to: body.to });
    },
  });
  const groupings = aggregations.map((a) => ({ labels: a.labels, series: found.filter((s) => s.at >= a.from && s.at < a.to).map((s) => s.series) }));
  return { selectors: found.map(({ series, labels }) => ({ series, labels })), groupings, errors };
}
