/**
 * A small parser for the Prometheus text exposition format (0.0.4), enough to read gauges and counters:
 * `name{label="value",...} value [timestamp]`, with `\\`, `\"` and `\n` escapes in label values, `NaN`
 * and `±Inf`, and `#` comment lines skipped. prom-client has no parser; this one is ~60 lines and keeps
 * a dependency out. Lines it cannot read are skipped and counted, never thrown on.
 */

export interface MetricSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface ParsedMetrics {
  samples: MetricSample[];
  /** Lines that were not comments, blank, or samples. */
  skipped: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/;

function parseValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default: {
      const v = Number(text);
      return text.trim() === '' || Number.isNaN(v) ? undefined : v;
    }
  }
}

/** Reads `{a="x",b="y"}` from the start of `rest`; returns the labels and what follows the brace. */
function parseLabels(rest: string): { labels: Record<string, string>; after: string } | undefined {
  const labels: Record<string, string> = {};
  let s = rest.slice(1);
  for (;;) {
    s = s.trimStart();
    if (s.startsWith('}')) return { labels, after: s.slice(1) };
    const m = LABEL_NAME.exec(s);
    if (!m) return undefined;
    let i = m[0].length;
    let value = '';
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === '\\' && i + 1 < s.length) {
        const next = s[++i];
        value += next === 'n' ? '\n' : next;
      } else value += s[i];
    }
    if (i >= s.length) return undefined;
    labels[m[1]!] = value;
    s = s.slice(i + 1).trimStart();
    if (s.startsWith(',')) s = s.slice(1);
  }
}

/**
 * The samples of `text`; with `only`, just those of metrics it accepts (other lines are passed over
 * without reading their labels: a kube-apiserver's /metrics runs to megabytes).
 */
export function parseMetricsText(text: string, only?: (name: string) => boolean): ParsedMetrics {
  const samples: MetricSample[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) {
      skipped++;
      continue;
    }
    if (only && !only(name)) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) {
        skipped++;
        continue;
      }
      labels = parsed.labels;
      rest = parsed.after;
    }
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (value === undefined) {
      skipped++;
      continue;
    }
    samples.push({ name, labels, value });
  }
  return { samples, skipped };
}
