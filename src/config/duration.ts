/**
 * Durations written the Kubernetes/Go way (`time.ParseDuration`): a sequence of decimal numbers with
 * units, such as `10s`, `1m30s`, `1.5h`, `250ms`. A bare `0` is allowed. Negative values are not.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    term.lastIndex = pos;
    const m = term.exec(s);
    if (!m) return undefined;
    total += Number.parseFloat(m[1]!) * UNIT_MS[m[2]!]!;
    pos = term.lastIndex;
  }
  return total;
}

/** A compact human form of a millisecond count, for messages: `10s`, `1500ms`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
