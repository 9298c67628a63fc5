/**
 * `listgate --help` and every subcommand's `--help` (and `-h`, and `listgate help X`): exit 0, print that
 * command's usage, create nothing, and load none of the gateway's dependencies (what keeps them quick to
 * start: the module list is read from Node's own ESM debug output, not from a clock).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const CLI = resolve('dist/src/cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Each command line and the first line of the usage it must print. */
const COMMANDS: Array<[string[], RegExp]> = [
  [[], /^listgate — /],
  [['serve'], /^Usage: listgate serve --config FILE$/],
  [['demo'], /^Usage: listgate demo \[flags\]$/],
  [['simulate'], /^Usage: listgate simulate \[flags\]$/],
  [['certs'], /^Usage: listgate certs init\|client \[flags\]$/],
  [['certs', 'init'], /^Usage: listgate certs init --dir DIR /],
  [['certs', 'client'], /^Usage: listgate certs client --dir DIR --cn NAME /],
  [['check-config'], /^Usage: listgate check-config \[--skip-files\] FILE$/],
  [['estimate'], /^Usage: listgate estimate --config FILE /],
  [['calibrate'], /^Usage: listgate calibrate --kubeconfig FILE /],
];

describe('listgate --help', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('every command and subcommand prints its usage and exits 0, with --help, -h, among other flags and as help X', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'listgate-help-'));
    dirs.push(cwd);
    const cases = COMMANDS.flatMap(([command, firstLine]) => {
      const forms = [[...command, '--help'], [...command, '-h']];
      if (command.length > 0) forms.push(['help', ...command], [...command, '--dir', cwd, '--help']);
      return forms.map((args) => ({ args, firstLine }));
    });
    // Independent processes: run at once.
    const runs = await Promise.all(cases.map(({ args }) => run(args, { cwd })));
    for (const [i, { args, firstLine }] of cases.entries()) {
      const r = runs[i]!;
      const what = `listgate ${args.join(' ')}`;
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stderr, '', what);
      assert.match(r.stdout.split('\n')[0]!, firstLine, what);
    }
    assert.deepEqual(await readdir(cwd), [], 'asking for help wrote nothing (certs init --dir DIR --help made no PKI)');
  });

  it('the usage of certs init and certs client names their required flags', async () => {
    assert.match((await run(['certs', 'init', '--help'])).stdout, /--dir DIR/);
    const client = (await run(['certs', 'client', '--help'])).stdout;
    for (const flag of ['--dir DIR', '--cn NAME', '--group G', '--out PREFIX', '--server URL']) assert.ok(client.includes(flag), flag);
  });

  it('a bare certs asks for its subcommand in one line, exit 2', async () => {
    const r = await run(['certs']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /expected init or client/);
  });

  it('loads only the CLI entry, its flag parser and its usage texts: nothing from node_modules', async () => {
    const runs = await Promise.all(COMMANDS.map(([command]) => run([...command, '--help'], { env: { ...process.env, NODE_DEBUG: 'esm' } })));
    for (const [i, [command]] of COMMANDS.entries()) {
      const r = runs[i]!;
      const loaded = [...r.stderr.matchAll(/Storing (file:\/\/\S+) /g)].map((m) => decodeURI(new URL(m[1]!).pathname));
      const what = `listgate ${command.join(' ')} --help`;
      assert.ok(loaded.includes(CLI), `${what}: Node's ESM debug output names the modules it loads (${loaded.length} seen)`);
      assert.deepEqual(loaded.filter((path) => path.includes('/node_modules/')), [], `${what} loads no dependency`);
      assert.ok(loaded.length <= 6, `${what} loads a handful of modules, not the gateway: ${loaded.join(', ')}`);
    }
  });
});
