/**
 * Flag parsing for the subcommands: node:util parseArgs in strict mode, with every mistake turned into a
 * one-line `CliError` (the CLI prints it and exits 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseByteQuantity } from '../k8s/quantity.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliError(`listgate ${command}: ${message} (see 'listgate ${command} --help')`);
  }
}

export function intFlag(command: string, name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min) {
    throw new CliError(`listgate ${command}: --${name} must be a whole number >= ${min}, got "${text}"`);
  }
  return Number(text);
}

export function bytesFlag(command: string, name: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const bytes = parseByteQuantity(String(value));
  if (bytes === undefined) {
    throw new CliError(`listgate ${command}: --${name} must be a byte quantity such as 1048576, 512Ki or 10Gi, got "${String(value)}"`);
  }
  return bytes;
}

export function boolFlag(command: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === 'false') return false;
  throw new CliError(`listgate ${command}: --${name} must be true or false, got "${String(value)}"`);
}
