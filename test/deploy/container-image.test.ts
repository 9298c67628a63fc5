/**
 * The Dockerfile and .dockerignore, checked without a Docker engine: the stages and what each copies,
 * the non-root user, the entrypoint and default command the manifests rely on, every COPY source present
 * in the build context, and the runtime stage's file set — production dependencies installed by
 * `npm ci --omit=dev` plus the compiled CLI — actually running.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerignore, parseDockerfile, type Stage } from './support/dockerfile.js';
import { REPO, renderOverlay } from './support/kustomize.js';
import { gatewayContainer, workloadOf } from './support/pod.js';

function run(command: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const commands = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('the container image', () => {
  let stages: Stage[];
  let ignored: (path: string) => boolean;
  before(async () => {
    stages = parseDockerfile(await readFile(join(REPO, 'Dockerfile'), 'utf8'));
    ignored = dockerignore(await readFile(join(REPO, '.dockerignore'), 'utf8'));
  });

  it('compiles with dev dependencies, installs production dependencies apart, and runs on a small base', () => {
    assert.deepEqual(stages.map((s) => s.name), ['build', 'deps', 'runtime']);
    const [build, deps, runtime] = stages as [Stage, Stage, Stage];
    for (const s of [build, deps]) assert.match(s.from, /^node:20(\.\d+)*-(bookworm-)?slim(@sha256:[0-9a-f]{64})?$/, `${s.name}: Node 20, slim`);
    assert.match(runtime.from, /^gcr\.io\/distroless\/nodejs20-debian12(:nonroot)?(@sha256:[0-9a-f]{64})?$/, 'runtime: distroless Node 20');
    assert.ok(commands(build, 'RUN').some((r) => /\bnpm ci\b/.test(r.args) && !r.args.includes('--omit=dev')), 'build: all dependencies');
    assert.ok(commands(build, 'RUN').some((r) => /\btsc -p tsconfig\.json\b/.test(r.args)), 'build: compiles');
    assert.ok(commands(deps, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)), 'deps: production dependencies only');
    const copies = commands(runtime, 'COPY');
    assert.deepEqual(
      copies.map((c) => [c.flags.from ?? 'context', ...c.words]),
      [
        ['deps', '/app/node_modules', './node_modules'],
        ['build', '/src/dist/src', './dist/src'],
        ['context', 'package.json', './'],
      ],
      'runtime: node_modules from the production install, the compiled sources, package.json ("type": "module")',
    );
    assert.equal(commands(runtime, 'RUN').length, 0, 'runtime: nothing runs at build time (there is no shell)');
  });

  it('runs as a non-root user, with the CLI as entrypoint and the manifests\' config path as default command', async () => {
    const runtime = stages.at(-1)!;
    const user = commands(runtime, 'USER').at(-1)?.args ?? 'root';
    assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric non-root uid (runAsNonRoot can verify it)');
    assert.equal(user.split(':')[0], '65532');
    assert.deepEqual(commands(runtime, 'ENTRYPOINT').at(-1)?.json, ['/nodejs/bin/node', 'dist/src/cli.js']);
    const cmd = commands(runtime, 'CMD').at(-1)?.json;
    for (const overlay of ['in-front', 'control-plane'] as const) {
      const container = gatewayContainer(workloadOf(await renderOverlay(overlay)));
      assert.deepEqual(cmd, container.args, `${overlay}: the image's default command is what the pod runs`);
      const pod = workloadOf(await renderOverlay(overlay)).spec.template.spec;
      assert.equal(pod.securityContext.runAsUser, 65532, `${overlay}: the pod's uid is the image's`);
    }
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', async () => {
    const tracked = (await new Promise<string>((resolve, reject) =>
      execFile('git', ['ls-files'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
    )).split('\n');
    let checked = 0;
    for (const copy of stages.flatMap((s) => commands(s, 'COPY')).filter((c) => c.flags.from === undefined)) {
      for (const source of copy.words.slice(0, -1)) {
        const info = await stat(join(REPO, source));
        const files = info.isDirectory() ? tracked.filter((f) => f.startsWith(`${source}/`)) : [source];
        assert.ok(files.length > 0, `${source} holds tracked files`);
        for (const file of files) {
          assert.ok(!ignored(file), `${file} (COPY ${source}) is in the build context`);
          checked++;
        }
      }
    }
    assert.ok(checked > 50, 'package files, tsconfig.json and every source file');
    for (const path of ['node_modules/ws/index.js', 'dist/src/cli.js', '.git/config', '.demo/ca.key', 'src/certs/dev.key', 'test/deploy/config.test.ts', 'deploy/base/listgate.yaml']) {
      assert.ok(ignored(path), `${path} stays out of the build context`);
    }
  });

  describe('the runtime stage\'s files', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'listgate-image-'));
      for (const f of ['package.json', 'package-lock.json']) await cp(join(REPO, f), join(dir, f));
      const install = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], dir);
      assert.equal(install.code, 0, install.out);
      await rm(join(dir, 'package-lock.json'));
      await cp(join(REPO, 'dist/src'), join(dir, 'dist/src'), { recursive: true });
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('hold no development dependency', async () => {
      const installed = await readdir(join(dir, 'node_modules'));
      assert.ok(installed.includes('prom-client') && installed.includes('yaml'), 'production dependencies are there');
      for (const dev of ['typescript', 'eslint', 'supertest', 'kubernetes-models']) assert.ok(!installed.includes(dev), `${dev} is not`);
    });

    it('run the CLI: --help, and check-config on the deployed configuration', async () => {
      const help = await run(process.execPath, ['dist/src/cli.js', '--help'], dir);
      assert.equal(help.code, 0, help.out);
      assert.match(help.out, /Usage: listgate <command>/);
      const check = await run(process.execPath, ['dist/src/cli.js', 'check-config', '--skip-files', join(REPO, 'deploy/base/listgate.yaml')], dir);
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, /OK/);
    });
  });
});
