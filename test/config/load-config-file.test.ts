/**
 * loadConfigFile: YAML from disk, paths relative to the file's folder, and the certificate, key and
 * token files checked at load time, every problem reported with the key that names the file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfigFile, readTlsFiles, type ConfigIssue } from '../../src/config/config.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';

const VALID_YAML = `# listgate configuration
listen: { address: 127.0.0.1, port: 8443 }
tls: { certFile: serving.crt, keyFile: serving.key }
upstream:
  server: https://127.0.0.1:6443
  caFile: upstream-ca.crt
  clientCertFile: gateway.crt
  clientKeyFile: gateway.key
  maxSockets: 64
  connectTimeout: 5s
identity:
  mode: insecure
ops: { address: 127.0.0.1, port: 8081 }
logging: { level: warn }
`;

async function issuesOf(path: string): Promise<ConfigIssue[]> {
  try {
    await loadConfigFile(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(err.message.includes(path), 'the message names the file');
    return err.issues;
  }
  assert.fail('expected the file to be refused');
}

describe('loadConfigFile', () => {
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

  it('loads a valid file with paths relative to its folder, and its TLS files read back', async () => {
    const config = await loadConfigFile(file('listgate.yaml', VALID_YAML));
    assert.equal(config.tls.certFile, join(pki.dir, 'serving.crt'));
    assert.equal(config.upstream.caFile, join(pki.dir, 'upstream-ca.crt'));
    assert.deepEqual([config.upstream.maxSockets, config.upstream.connectTimeoutMs, config.logging.level], [64, 5000, 'warn']);
    const files = readTlsFiles(config);
    assert.equal(files.serving.cert, pki.gatewayServing.certPem);
    assert.equal(files.upstream.ca, pki.upstreamCa.certPem);
    assert.equal(files.upstream.token, undefined);
  });

  it('reports a YAML syntax error with its line', async () => {
    const issues = await issuesOf(file('broken.yaml', 'listen:\n  port: [8443\nidentity: {}\n'));
    assert.equal(issues[0]?.path, '<document>');
    assert.match(issues[0]?.message ?? '', /^line \d+, column \d+: /);
  });

  it('refuses duplicate keys', async () => {
    const issues = await issuesOf(file('dup.yaml', `${VALID_YAML}logging: { level: info }\n`));
    assert.match(issues[0]?.message ?? '', /unique|duplicate/i);
  });

  it('reports a missing config file', async () => {
    const missing = join(pki.dir, 'absent.yaml');
    assert.deepEqual(await issuesOf(missing), [{ path: '<document>', message: `cannot read ${missing} (ENOENT)` }]);
  });

  it('reports every broken certificate, key and token file at once, by key', async () => {
    file('not-a-cert.crt', 'hello');
    file('empty-token', '\n');
    const yaml = VALID_YAML.replace('certFile: serving.crt', 'certFile: missing.crt')
      .replace('caFile: upstream-ca.crt', 'caFile: not-a-cert.crt')
      .replace('clientKeyFile: gateway.key', 'clientKeyFile: serving.key\n  tokenFile: empty-token');
    const issues = await issuesOf(file('bad-files.yaml', yaml));
    assert.deepEqual(issues, [
      { path: 'tls.certFile', message: `cannot read ${join(pki.dir, 'missing.crt')} (ENOENT)` },
      { path: 'upstream.caFile', message: `${join(pki.dir, 'not-a-cert.crt')} is not a PEM certificate` },
      { path: 'upstream.clientKeyFile', message: `${join(pki.dir, 'serving.key')} is not the key of the certificate in upstream.clientCertFile` },
      { path: 'upstream.tokenFile', message: `${join(pki.dir, 'empty-token')} must hold exactly one non-empty line` },
    ]);
  });
});
