/**
 * `listgate check-config FILE` as CI and operators run it: one OK line and exit 0, or every problem
 * with its key path and exit 1; `--skip-files` checks the document alone; `--schema` prints the schema.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';

const CLI = resolve('dist/src/cli.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const VALID = `listen: { address: 127.0.0.1, port: 8443 }
tls: { certFile: serving.crt, keyFile: serving.key }
upstream: { server: 'https://127.0.0.1:6443', caFile: upstream-ca.crt, clientCertFile: gateway.crt, clientKeyFile: gateway.key }
identity: { mode: insecure }
`;

describe('listgate check-config', () => {
  let pki: GatewayTestPki;
  const file = (name: string, text: string) => {
    const path = join(pki.dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => {
    pki = createGatewayTestPki();
  });
  after(() => pki.cleanup());

  it('prints one OK line and exits 0 for a valid file', async () => {
    const path = file('valid.yaml', VALID);
    const r = await run(['check-config', path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${path}: OK\n`);
    assert.equal(r.stderr, '');
  });

  it('prints every problem with its key path and exits 1', async () => {
    const path = file('invalid.yaml', `${VALID.replace('port: 8443', 'port: 70000')}logging: { level: loud }\nextra: 1\n`);
    const r = await run(['check-config', path]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], `${path}: 3 problems`);
    assert.deepEqual(lines.slice(1, 4), ['  listen.port: must be at most 65535', '  logging.level: must be one of: fatal, error, warn, info, debug, trace, silent', '  extra: unknown key']);
    assert.equal(r.stdout, '');
  });

  it('checks the files the config names, unless --skip-files', async () => {
    const path = file('missing-files.yaml', VALID.replace('certFile: serving.crt', 'certFile: absent.crt'));
    const r = await run(['check-config', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ {2}tls\.certFile: cannot read .*absent\.crt \(ENOENT\)$/m);
    const skipped = await run(['check-config', '--skip-files', path]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /: OK \(files it names not checked\)\n$/);
  });

  it('reports YAML syntax errors and unreadable files the same way', async () => {
    const broken = await run(['check-config', file('broken.yaml', 'listen: [\n')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^ {2}<document>: line \d+, column \d+: /m);
    const absent = await run(['check-config', join(pki.dir, 'nope.yaml')]);
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /<document>: cannot read .*nope\.yaml \(ENOENT\)/);
  });

  it('needs exactly one FILE, and prints the JSON Schema with --schema', async () => {
    const none = await run(['check-config']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /exactly one FILE is required/);
    const schema = await run(['check-config', '--schema']);
    assert.equal(schema.code, 0);
    const parsed = JSON.parse(schema.stdout) as { title: string; properties: Record<string, unknown> };
    assert.equal(parsed.title, 'listgate configuration');
    assert.ok('upstream' in parsed.properties);
  });
});
