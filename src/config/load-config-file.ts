/**
 * Reads a YAML configuration file, validates and completes it, then reads the certificate, key and
 * token files it names so a broken file is reported at startup with its key path, not at the first
 * request. Relative paths in the document resolve against the folder of the config file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error.js';
import { parseConfig, type Config } from './parse-config.js';
import { readTlsFiles } from './read-tls-files.js';

/** YAML text → unknown; syntax errors become ConfigError issues with line and column. */
export function parseYamlDocument(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? `line ${at.line}, column ${at.col}: ` : '';
        const first = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '<document>', message: `${where}${first}` };
      }),
    );
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

export async function loadConfigFile(path: string): Promise<Config> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([{ path: '<document>', message: `cannot read ${file} (${code})` }], { cause: err, source: file });
  }
  try {
    const config = parseConfig(parseYamlDocument(text), { baseDir: dirname(file) });
    readTlsFiles(config);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, { source: file });
    throw err;
  }
}
