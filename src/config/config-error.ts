/**
 * A configuration that cannot be used. It carries every problem found, each with the path of the key at
 * fault (`upstream.server`), so an operator fixes them in one pass instead of one restart per mistake.
 */

export interface ConfigIssue {
  /** Dotted key path (`upstream.server`, `listen.port`); `<document>` for the document itself. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown; source?: string }) {
    const where = options?.source ? ` in ${options.source}` : '';
    const lines = issues.map((i) => `  ${i.path}: ${i.message}`);
    super(`invalid configuration${where}:\n${lines.join('\n')}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `['upstream', 'server']` → `upstream.server`; array indices as `[0]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '<document>';
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}
