/**
 * The files a Config names (every key spelled `…File` or `…Files`: certificates, keys, CA bundles,
 * tokens), so the reloader watches them along with the config file itself. A new section that names a
 * file the same way is watched without further wiring.
 */
import type { Config } from './parse-config.js';

function collect(value: unknown, key: string, out: Set<string>): void {
  if (typeof value === 'string') {
    if (key.endsWith('File')) out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    if (key.endsWith('Files')) for (const item of value) if (typeof item === 'string') out.add(item);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) collect(v, k, out);
  }
}

/** Absolute paths (the Config has resolved them), each once, in document order. */
export function namedFiles(config: Config): string[] {
  const out = new Set<string>();
  collect(config, '', out);
  return [...out];
}
