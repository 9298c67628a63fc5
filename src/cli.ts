#!/usr/bin/env node
/**
 * The `listgate` command: one binary, one subcommand per job. A subcommand's module (and through it the
 * gateway, the simulator, the Kubernetes client) is imported only when that subcommand runs; `--help`
 * prints its usage without importing it.
 */
import { CliError } from './cli/args.js';
import {
  CALIBRATE_HELP,
  CERTS_CLIENT_HELP,
  CERTS_HELP,
  CERTS_INIT_HELP,
  CHECK_CONFIG_HELP,
  DEMO_HELP,
  ESTIMATE_HELP,
  HELP,
  SERVE_HELP,
  SIMULATE_HELP,
} from './cli/usage.js';

interface Command {
  /** The usage `--help` prints; `argv` is what follows the command's name (certs has subcommands). */
  usage(argv: readonly string[]): string;
  run(argv: string[]): Promise<void>;
}

const fixed = (text: string) => () => text;

const COMMANDS: Record<string, Command> = {
  serve: { usage: fixed(SERVE_HELP), run: async (argv) => (await import('./cli/serve.js')).runServe(argv) },
  demo: { usage: fixed(DEMO_HELP), run: async (argv) => (await import('./cli/demo.js')).runDemo(argv) },
  simulate: { usage: fixed(SIMULATE_HELP), run: async (argv) => (await import('./cli/simulate.js')).runSimulate(argv) },
  certs: {
    usage: ([sub]) => (sub === 'init' ? CERTS_INIT_HELP : sub === 'client' ? CERTS_CLIENT_HELP : CERTS_HELP),
    run: async (argv) => (await import('./cli/certs.js')).runCerts(argv),
  },
  'check-config': { usage: fixed(CHECK_CONFIG_HELP), run: async (argv) => (await import('./cli/check-config.js')).runCheckConfig(argv) },
  estimate: { usage: fixed(ESTIMATE_HELP), run: async (argv) => (await import('./cli/estimate.js')).runEstimate(argv) },
  calibrate: { usage: fixed(CALIBRATE_HELP), run: async (argv) => (await import('./cli/calibrate.js')).runCalibrate(argv) },
};

/** `--help` or `-h` anywhere before a `--` that ends the flags. */
function asksHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    const [topic, ...more] = rest;
    process.stdout.write(topic !== undefined && COMMANDS[topic] ? COMMANDS[topic].usage(more) : HELP);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`listgate: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  if (asksHelp(rest)) {
    process.stdout.write(command.usage(rest));
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`listgate ${name}: ${message.split('\n').join('\n  ')}\n`);
    return 1;
  }
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`listgate: ${String(err)}\n`);
    process.exit(1);
  },
);
