/**
 * `listgate check-config FILE`: validates a configuration file without starting anything — the YAML,
 * every key (all problems at once, each with its path) and, unless --skip-files, the certificate, key,
 * CA and token files it names. Prints one OK line and exits 0, or every problem and exits 1.
 * `--schema` prints the JSON Schema of the file instead (what docs/listgate.schema.json holds).
 */
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { configJsonSchemaText } from '../config/json-schema.js';
import { loadConfigSnapshot, parseConfigText } from '../config/load-config-file.js';
import { CliError, parseFlags } from './args.js';

export async function runCheckConfig(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'check-config',
    argv,
    { schema: { type: 'boolean' }, 'skip-files': { type: 'boolean' } },
    true,
  );
  if (values.schema) {
    process.stdout.write(configJsonSchemaText());
    return;
  }
  if (positionals.length !== 1) throw new CliError("listgate check-config: exactly one FILE is required (see 'listgate check-config --help')");
  const file = resolve(positionals[0]!);
  try {
    if (values['skip-files']) await parseConfigText(file);
    else await loadConfigSnapshot(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const count = err.issues.length;
    const lines = err.issues.map((i) => `  ${i.path}: ${i.message}`);
    process.stderr.write(`${file}: ${count} problem${count === 1 ? '' : 's'}\n${lines.join('\n')}\n`);
    throw new Error(`${file} is not a valid configuration`);
  }
  process.stdout.write(`${file}: OK${values['skip-files'] ? ' (files it names not checked)' : ''}\n`);
}
