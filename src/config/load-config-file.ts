/**
 * Reads a YAML configuration file, validates and completes it, then reads the certificate, key and
 * token files it names so a broken file is reported at startup (or reload) with its key path, not at
 * the first request. Relative paths in the document resolve against the folder of the config file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { ConfigSnapshot } from './config-source.js';
import { parseConfig, type Config } from './parse-config.js';
import { readAuthFiles } from './read-auth-files.js';
import { readSharedBudgetFiles } from './read-shared-budget-files.js';
import { readTlsFiles } from './read-tls-files.js';
import { readWebhookFiles } from './read-webhook-files.js';

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

/** Reads and validates the document alone (not the files it names); throws ConfigError naming the file. */
export async function parseConfigText(path: string): Promise<Config> {
  const file = resolve(path);
  return withSource(file, async () => parseConfig(parseYamlDocument(await readText(file)), { baseDir: dirname(file) }));
}

/** The Config and the contents of every file it names; throws ConfigError listing every problem. */
export async function loadConfigSnapshot(path: string): Promise<ConfigSnapshot> {
  const file = resolve(path);
  return withSource(file, async () => readSnapshotFiles(parseConfig(parseYamlDocument(await readText(file)), { baseDir: dirname(file) })));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([{ path: '<document>', message: `cannot read ${file} (${code})` }], { cause: err });
  }
}

/** Runs `load`, re-throwing a ConfigError with the file named in its message. */
async function withSource<T>(file: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, { source: file, cause: err.cause });
    throw err;
  }
}

/** Reads the files a Config names, reporting the problems of all of them together. */
export function readSnapshotFiles(config: Config): ConfigSnapshot {
  const issues: ConfigIssue[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const files = attempt(() => readTlsFiles(config));
  const auth = attempt(() => readAuthFiles(config));
  const sharedBudget = attempt(() => readSharedBudgetFiles(config));
  const webhook = attempt(() => readWebhookFiles(config) ?? null);
  if (!files || !auth || webhook === undefined || issues.length > 0) throw new ConfigError(issues);
  return { config, files, auth, ...(sharedBudget ? { sharedBudget } : {}), ...(webhook ? { webhook } : {}) };
}

export async function loadConfigFile(path: string): Promise<Config> {
  return (await loadConfigSnapshot(path)).config;
}
