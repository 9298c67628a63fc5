#!/usr/bin/env node
/**
 * The `listgate` command: one binary, one subcommand per job.
 */
import { CliError, parseFlags } from './cli/args.js';
import { CALIBRATE_HELP, runCalibrate } from './cli/calibrate.js';
import { CERTS_HELP, runCerts } from './cli/certs.js';
import { CHECK_CONFIG_HELP, runCheckConfig } from './cli/check-config.js';
import { DEMO_HELP, runDemo } from './cli/demo.js';
import { ESTIMATE_HELP, runEstimate } from './cli/estimate.js';
import { runSimulate, SIMULATE_HELP } from './cli/simulate.js';
import { runGateway } from './main.js';

const SERVE_HELP = `Usage: listgate serve --config FILE

Runs the gateway with the configuration in FILE (YAML).
`;

const HELP = `listgate — an authenticating gateway that keeps LIST storms from killing kube-apiserver

Usage: listgate <command> [flags]

Commands:
  serve         run the gateway (listgate serve --config FILE)
  check-config  validate a configuration file without starting (listgate check-config FILE)
  estimate      what a request would cost the apiserver, and why (listgate estimate --config FILE PATH?QUERY)
  calibrate     measure the apiserver's memory per LIST response byte (listgate calibrate --kubeconfig FILE)
  demo          run the simulator and the gateway in front of it on loopback, with kubeconfigs (npm start)
  simulate      run the kube-apiserver simulator alone
  certs         create a development PKI and client certificates (certs init, certs client)

Run 'listgate <command> --help' for the flags of a command.
`;

async function runServe(argv: string[]): Promise<void> {
  const { values } = parseFlags('serve', argv, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  if (typeof values.config !== 'string') throw new CliError("listgate serve: --config FILE is required (see 'listgate serve --help')");
  await runGateway({ configPath: values.config });
}

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  serve: { run: runServe, help: SERVE_HELP },
  demo: { run: runDemo, help: DEMO_HELP },
  simulate: { run: runSimulate, help: SIMULATE_HELP },
  certs: { run: runCerts, help: CERTS_HELP },
  'check-config': { run: runCheckConfig, help: CHECK_CONFIG_HELP },
  estimate: { run: runEstimate, help: ESTIMATE_HELP },
  calibrate: { run: runCalibrate, help: CALIBRATE_HELP },
};

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`listgate: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
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
