/**
 * `listgate serve --config FILE`: the gateway process (src/main.ts).
 */
import { runGateway } from '../main.js';
import { CliError, parseFlags } from './args.js';

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parseFlags('serve', argv, { config: { type: 'string' } });
  if (typeof values.config !== 'string') throw new CliError("listgate serve: --config FILE is required (see 'listgate serve --help')");
  await runGateway({ configPath: values.config });
}
