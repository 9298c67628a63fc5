/**
 * What a reload changes, as dotted key paths (`upstream.server`, `authentication.clientCAFiles[1]`), and
 * which of those only take effect after a restart (the addresses the process listens on). Pure.
 */

/** Keys whose new value cannot be applied to a running process. */
export const RESTART_REQUIRED_PREFIXES = ['listen.', 'ops.', 'webhook.enabled', 'webhook.listen.'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Every leaf path whose value differs between the two documents, in a stable order. */
export function changedPaths(previous: unknown, next: unknown, base = ''): string[] {
  if (Array.isArray(previous) && Array.isArray(next)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(previous.length, next.length); i++) out.push(...changedPaths(previous[i], next[i], join(base, i)));
    return out;
  }
  if (isPlainObject(previous) && isPlainObject(next)) {
    const keys = [...new Set([...Object.keys(previous), ...Object.keys(next)])].sort();
    return keys.flatMap((key) => changedPaths(previous[key], next[key], join(base, key)));
  }
  return Object.is(previous, next) ? [] : [base === '' ? '<document>' : base];
}

/** The changed paths that need a restart to take effect. */
export function restartRequired(paths: readonly string[]): string[] {
  return paths.filter((p) => RESTART_REQUIRED_PREFIXES.some((prefix) => p.startsWith(prefix)));
}
