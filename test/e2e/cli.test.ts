/**
 * The `listgate` command as operators and scripts use it: help, flag errors, `demo` (its files, its
 * kubeconfigs through the gateway, the commands it prints and its log), `simulate`, `certs`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { identityFromCertificate } from '../../src/certs/pki.js';

const CLI = resolve('dist/src/cli.js');

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [CLI, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function kubectl(kubeconfig: string, args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: home }, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Spawns a long-running subcommand and resolves once it prints a line matching `ready`. */
function startUntilReady(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn('node', [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      if (/\bready\b/.test(out)) {
        clearTimeout(timer);
        resolveReady({ child, output: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on('exit', (code) => done(code)));
}

/** Runs a printed command line as a shell would (pipes included). */
function shell(line: string, home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('sh', ['-c', line], { env: { ...process.env, HOME: home }, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Runs a long-running command line (kubectl get -w, logs -f) until it prints its first output, then stops it. */
function firstOutput(line: string, home: string): Promise<string> {
  const child = spawn('sh', ['-c', `exec ${line}`], { env: { ...process.env, HOME: home } });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`${line} printed nothing in 15 s`));
    }, 15_000);
    child.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      child.kill();
      done(d.toString());
    });
  });
}

describe('listgate CLI', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'listgate-cli-'));
    dirs.push(d);
    return d;
  };
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('--help lists every subcommand', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['serve', 'demo', 'simulate', 'certs']) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\s`, 'm'));
  });

  it('bad flags exit non-zero with a one-line reason', async () => {
    const cases: [string[], RegExp][] = [
      [['simulate', '--secrets', 'many'], /--secrets must be a whole number/],
      [['simulate', '--oom-limit', 'lots'], /--oom-limit must be a byte quantity/],
      [['simulate', '--watch-list=maybe'], /--watch-list must be true or false/],
      [['simulate', '--version', '1.33'], /--version must be one of 1\.32, 1\.34, got "1\.33"/],
      [['demo', '--no-such-flag'], /Unknown option '--no-such-flag'/],
      [['serve'], /--config FILE is required/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, [args, reason]] of cases.entries()) {
      const r = results[i]!;
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, reason);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('serve refuses a config file that does not exist, without a stack trace', async () => {
    const r = await run(['serve', '--config', '/nonexistent/listgate.yaml']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /listgate\.yaml/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('demo writes its files, prints ready, serves kubectl through the gateway, and stops on SIGTERM', async () => {
    const dir = await tempDir();
    const { child } = await startUntilReady(['demo', '--dir', dir, '--port', '0', '--upstream-port', '0', '--ops-port', '0', '--json-logs', '--secrets', '12', '--log-level', 'warn']);
    try {
      for (const f of ['kubeconfig', 'token.kubeconfig', 'admin.kubeconfig', 'upstream.kubeconfig', 'listgate.yaml']) await access(join(dir, f));
      const viaGateway = await kubectl(join(dir, 'kubeconfig'), ['get', 'secrets', '-A', '--no-headers'], dir);
      assert.equal(viaGateway.code, 0, viaGateway.stderr);
      assert.equal(viaGateway.stdout.trim().split('\n').length, 12);
      const kubeconfig = await readFile(join(dir, 'kubeconfig'), 'utf8');
      const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(kubeconfig)![1]!, 'base64').toString();
      assert.equal(identityFromCertificate(cert).groups.includes('system:masters'), false, 'the demo user is not an admin');
      // The gateway forwards the caller's identity (requestHeader mode): the upstream sees the user, not the gateway.
      const whoami = await kubectl(join(dir, 'kubeconfig'), ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], dir);
      assert.equal(whoami.stdout, identityFromCertificate(cert).user, whoami.stderr);
      const tokenWhoami = await kubectl(join(dir, 'token.kubeconfig'), ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], dir);
      assert.equal(tokenWhoami.stdout, 'ci-bot', tokenWhoami.stderr);
      assert.match(await readFile(join(dir, 'listgate.yaml'), 'utf8'), /mode: requestHeader/);
      // The admin kubeconfig goes through the gateway (the same server as the user's) as system:masters, and may impersonate.
      const admin = join(dir, 'admin.kubeconfig');
      assert.equal(/server: (\S+)/.exec(await readFile(admin, 'utf8'))![1], /server: (\S+)/.exec(kubeconfig)![1]);
      const adminWhoami = await kubectl(admin, ['auth', 'whoami', '-o', 'json'], dir);
      assert.equal(adminWhoami.code, 0, adminWhoami.stderr);
      const adminInfo = (JSON.parse(adminWhoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
      assert.equal(adminInfo.username, 'admin');
      assert.ok(adminInfo.groups.includes('system:masters'), adminWhoami.stdout);
      const asJane = await kubectl(admin, ['--as', 'jane', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], dir);
      assert.equal(asJane.stdout, 'jane', asJane.stderr);
      const janeAsAdmin = await kubectl(join(dir, 'kubeconfig'), ['--as', 'admin', 'auth', 'whoami'], dir);
      assert.notEqual(janeAsAdmin.code, 0, 'an ordinary user may not impersonate');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exitCode(child), 0);
  });

  it('every command the demo prints works as printed, with readable output; its log is one line per request', async () => {
    const dir = await tempDir();
    // Pretty logs (the default) to a pipe, not a terminal; 256 KiB secrets, as in the real demo.
    const { child, output } = await startUntilReady(['demo', '--dir', dir, '--port', '0', '--upstream-port', '0', '--ops-port', '0', '--secrets', '12']);
    let commands = 0;
    try {
      const lines = output()
        .split('\n')
        .filter((line) => /^\s+kubectl /.test(line))
        .map((line) => line.trim());
      assert.ok(lines.length >= 10, `the demo prints its commands:\n${output()}`);
      assert.ok(lines.some((l) => l.includes('admin.kubeconfig') && l.includes(' --as ')), 'an impersonation example');
      assert.ok(lines.some((l) => l.includes('sendInitialEvents=true')), 'a streaming-list example');
      commands = lines.length;
      for (const line of lines) {
        const streaming = / -(w|f)( |$)/.test(line);
        const r = streaming ? { code: 0, stdout: await firstOutput(line, dir), stderr: '' } : await shell(line, dir);
        assert.equal(r.code, 0, `${line}: ${r.stderr}`);
        assert.ok(r.stdout.length > 0, `${line} printed something`);
        assert.ok(r.stdout.length < 64 * 1024, `${line} printed ${r.stdout.length} bytes`);
        assert.doesNotMatch(r.stdout, /[A-Za-z0-9+/=]{1000}/, `${line} printed a wall of base64`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exitCode(child), 0);
    const log = output().split('\n').filter((l) => l.startsWith('['));
    assert.ok(log.filter((l) => / → \d{3}, /.test(l)).length >= commands, 'a line for each request');
    assert.ok(!output().includes('\u001b['), 'no colour codes: stdout is not a terminal');
    assert.doesNotMatch(output(), /\n\s+at /, 'no stack trace');
    for (const l of output().split('\n').filter((l) => /^\s/.test(l))) {
      assert.match(l, /^\s+(user|token|admin|upstream) kubeconfig|^\s+kubectl |^\s+(through listgate|straight to|the simulator's|listgate's)/, `only the introduction is indented, no record spans lines: ${JSON.stringify(l)}`);
    }
  });

  it('demo reports a port in use in one line, before it generates anything', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((done) => blocker.listen(0, '127.0.0.1', () => done((blocker.address() as AddressInfo).port)));
    try {
      const cases: Array<[string, string]> = [['--port', 'the gateway'], ['--upstream-port', 'the simulator'], ['--ops-port', "the gateway's health and metrics"]];
      const runs = await Promise.all(
        cases.map(async ([flag]) => {
          const dir = join(await tempDir(), 'demo');
          const ports = { '--port': '0', '--upstream-port': '0', '--ops-port': '0', [flag]: String(port) };
          return { dir, r: await run(['demo', '--dir', dir, ...Object.entries(ports).flat()]) };
        }),
      );
      for (const [i, [flag, what]] of cases.entries()) {
        const { dir, r } = runs[i]!;
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
        assert.equal(r.stderr.trim(), `listgate demo: port ${port} on 127.0.0.1 (${what}, ${flag}) is already in use: stop what listens there or pick another port with ${flag} (0 picks a free one)`);
        assert.equal(r.stdout, '');
        await assert.rejects(access(dir), 'nothing generated: not even the folder');
      }
      const same = await run(['demo', '--dir', join(await tempDir(), 'demo'), '--port', '18443', '--upstream-port', '0', '--ops-port', '18443']);
      assert.equal(same.code, 1);
      assert.match(same.stderr, /^listgate demo: --port and --ops-port both ask for port 18443/);
    } finally {
      blocker.close();
    }
  });

  it('simulate serves seeded data with an admin kubeconfig', async () => {
    const dir = await tempDir();
    const kc = join(dir, 'admin.kubeconfig');
    const { child } = await startUntilReady(['simulate', '--port', '0', '--kubeconfig', kc, '--secrets', '5', '--namespaces', '2', '--log-level', 'warn']);
    try {
      const r = await kubectl(kc, ['get', 'secrets', '-A', '-o', 'name'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, 5);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exitCode(child), 0);
  });

  it('certs init and certs client issue Kubernetes-convention certificates', async () => {
    const dir = await tempDir();
    assert.equal((await run(['certs', 'init', '--dir', dir])).code, 0);
    const user = identityFromCertificate(await readFile(join(dir, 'user.crt'), 'utf8'));
    const admin = identityFromCertificate(await readFile(join(dir, 'admin.crt'), 'utf8'));
    assert.deepEqual(admin, { user: 'admin', groups: ['system:masters'] });
    assert.equal(user.groups.includes('system:masters'), false);
    await access(join(dir, 'admin.kubeconfig'));
    const r = await run(['certs', 'client', '--dir', dir, '--cn', 'bob', '--group', 'team-a', '--group', 'team-b', '--out', join(dir, 'bob')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(identityFromCertificate(await readFile(join(dir, 'bob.crt'), 'utf8')), { user: 'bob', groups: ['team-a', 'team-b'] });
  });
});
