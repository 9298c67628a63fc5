/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): a decimal number with an optional
 * binary-SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), decimal-SI suffix (n, u, m, k, M, G, T, P, E) or decimal exponent
 * (e3, E6). Parsed to a plain number; byte quantities are rounded up to a whole byte as the apiserver does.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;

/** Returns the value, or undefined when the text is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const value = Number.parseFloat(m[1]!);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return value * BINARY[suffix]!;
  if (/^[eE]/.test(suffix)) return value * 10 ** Number.parseInt(suffix.slice(1), 10);
  return value * DECIMAL[suffix]!;
}

/** A non-negative whole number of bytes, or undefined. */
export function parseByteQuantity(text: string): number | undefined {
  const v = parseQuantity(text);
  if (v === undefined || v < 0 || !Number.isFinite(v)) return undefined;
  return Math.ceil(v);
}

/** Human form for messages: the largest binary suffix that keeps one decimal (e.g. `1.5Gi`, `300Mi`, `512`). */
export function formatBytes(bytes: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const size = BINARY[unit]!;
    if (bytes >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`;
    }
  }
  return String(Math.round(bytes));
}
