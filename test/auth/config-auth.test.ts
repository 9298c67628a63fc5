/**
 * The authentication and identity sections of the configuration: defaults (upstream's TTLs, anonymous
 * off, kubeadm's header names), every error with its path, the rules across keys, and the files they
 * name (client CA bundles, the front-proxy certificate and key).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCA, issueClientCert } from '../../src/certs/pki.js';
import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/config.js';
import { readAuthFiles } from '../../src/config/read-auth-files.js';

const BASE = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', clientCertFile: 'gateway.crt', clientKeyFile: 'gateway.key' },
};
const FRONT_PROXY = { clientCertFile: 'fp.crt', clientKeyFile: 'fp.key' };

function issuesOf(doc: Record<string, unknown>): ConfigIssue[] {
  try {
    parseConfig({ ...BASE, ...doc }, { baseDir: '/etc/listgate' });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues;
  }
  assert.fail('expected the document to be refused');
}

describe('config: authentication and identity', () => {
  it('completes the defaults: TokenReview on with 10s/10s and bounded, anonymous off, kubeadm header names', () => {
    const config = parseConfig({ ...BASE, identity: { mode: 'requestHeader', requestHeader: FRONT_PROXY }, authentication: { clientCAFiles: ['ca.crt'] } }, { baseDir: '/etc/listgate' });
    assert.deepEqual(JSON.parse(JSON.stringify(config.authentication)), {
      clientCAFiles: ['/etc/listgate/ca.crt'],
      tokenReview: {
        enabled: true,
        audiences: [],
        cacheTtlMs: 10_000,
        negativeCacheTtlMs: 10_000,
        cacheSize: 10_000,
        timeoutMs: 10_000,
        limits: { concurrent: 32, perSecond: 200, perClientConcurrent: 4, perClientPerSecond: 20 },
      },
      anonymous: { enabled: false },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(config.identity)), {
      mode: 'requestHeader',
      requestHeader: {
        clientCertFile: '/etc/listgate/fp.crt',
        clientKeyFile: '/etc/listgate/fp.key',
        usernameHeaders: ['X-Remote-User'],
        groupHeaders: ['X-Remote-Group'],
        uidHeaders: ['X-Remote-Uid'],
        extraHeaderPrefixes: ['X-Remote-Extra-'],
      },
    });
    assert.ok(Object.isFrozen(config.identity.requestHeader.usernameHeaders));
  });

  it('takes explicit values', () => {
    const config = parseConfig(
      {
        ...BASE,
        identity: { mode: 'impersonate' },
        authentication: {
          tokenReview: { audiences: ['https://listgate'], cacheTTL: '30s', negativeCacheTTL: '0', cacheSize: 5, timeout: '3s', limits: { concurrent: 2, perClientPerSecond: 1 } },
          anonymous: { enabled: true },
        },
      },
      { baseDir: '/' },
    );
    assert.deepEqual(JSON.parse(JSON.stringify(config.authentication.tokenReview)), {
      enabled: true,
      audiences: ['https://listgate'],
      cacheTtlMs: 30_000,
      negativeCacheTtlMs: 0,
      cacheSize: 5,
      timeoutMs: 3_000,
      limits: { concurrent: 2, perSecond: 200, perClientConcurrent: 4, perClientPerSecond: 1 },
    });
    assert.equal(config.authentication.anonymous.enabled, true);
  });

  it('reports every error in the sections with its path', () => {
    assert.deepEqual(
      issuesOf({
        authentication: { clientCAFiles: [''], tokenReview: { enabled: 'yes', cacheTTL: 'soon', timeout: '0s', cacheSize: -1 }, anonymous: { enabled: true, extra: 1 } },
        identity: { mode: 'requestHeader', requestHeader: { ...FRONT_PROXY, usernameHeaders: [], groupHeaders: ['X Remote Group'] } },
      }),
      [
        { path: 'authentication.clientCAFiles[0]', message: 'must not be empty' },
        { path: 'authentication.tokenReview.enabled', message: 'must be true or false' },
        { path: 'authentication.tokenReview.cacheTTL', message: 'must be a duration such as 2m or 10s (0 disables)' },
        { path: 'authentication.tokenReview.cacheSize', message: 'must be at least 0' },
        { path: 'authentication.tokenReview.timeout', message: 'must be a positive duration such as 10s, 500ms or 1m30s' },
        { path: 'authentication.anonymous.extra', message: 'unknown key' },
        { path: 'identity.requestHeader.usernameHeaders', message: 'must be at least 1' },
        { path: 'identity.requestHeader.groupHeaders[0]', message: "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)" },
      ],
    );
  });

  it('applies the rules across keys', () => {
    assert.deepEqual(issuesOf({ identity: { mode: 'requestHeader' } }), [
      { path: 'identity.requestHeader', message: 'requestHeader mode needs the front-proxy client certificate: clientCertFile and clientKeyFile' },
    ]);
    assert.deepEqual(issuesOf({ identity: { mode: 'requestHeader', requestHeader: { clientCertFile: 'fp.crt' } } }), [
      { path: 'identity.requestHeader.clientKeyFile', message: 'required when identity.requestHeader.clientCertFile is set' },
    ]);
    assert.deepEqual(issuesOf({ identity: { mode: 'passthrough' }, authentication: { clientCAFiles: ['ca.crt'], tokenReview: { enabled: false } } }), [
      { path: 'authentication.clientCAFiles', message: "passthrough forwards the caller's bearer token; client certificates cannot be passed through (remove clientCAFiles or use requestHeader mode)" },
      { path: 'authentication.tokenReview.enabled', message: 'passthrough needs TokenReview to authenticate the bearer tokens it forwards' },
    ]);
    assert.deepEqual(issuesOf({ identity: { mode: 'impersonate' }, authentication: { tokenReview: { enabled: false } } }), [
      { path: 'authentication', message: 'no way to authenticate a caller: set clientCAFiles, tokenReview.enabled or anonymous.enabled' },
    ]);
  });
});

describe('config: the files authentication names', () => {
  let dir: string;
  const ca = createCA('client-ca');
  const other = createCA('other-ca');
  const fp = issueClientCert(createCA('front-proxy-ca'), { commonName: 'front-proxy-client' });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-auth-files-'));
    const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
    write('bundle.crt', `${ca.certPem}\n${other.certPem}`);
    write('leaf.crt', issueClientCert(ca, { commonName: 'jane' }).certPem);
    write('empty.crt', 'no certificates here\n');
    write('fp.crt', fp.certPem);
    write('fp.key', fp.keyPem);
    write('wrong.key', issueClientCert(ca, { commonName: 'x' }).keyPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const load = (authentication: Record<string, unknown>, requestHeader: Record<string, unknown> = { clientCertFile: 'fp.crt', clientKeyFile: 'fp.key' }) =>
    readAuthFiles(parseConfig({ ...BASE, authentication, identity: { mode: 'requestHeader', requestHeader } }, { baseDir: dir }));

  it('reads every CA of every bundle and the front-proxy pair', () => {
    const files = load({ clientCAFiles: ['bundle.crt'] });
    assert.deepEqual(files.clientCAs.map((c) => c.subject), ['CN=client-ca', 'CN=other-ca']);
    assert.equal(files.frontProxy?.cert, fp.certPem);
  });

  it('reports unreadable, empty and non-CA bundles and a key that does not match, at once', () => {
    try {
      load({ clientCAFiles: ['missing.crt', 'empty.crt', 'leaf.crt'] }, { clientCertFile: 'fp.crt', clientKeyFile: 'wrong.key' });
      assert.fail('refused expected');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(
        err.issues.map((i) => [i.path, i.message.replace(dir, 'DIR')]),
        [
          ['authentication.clientCAFiles[0]', 'cannot read DIR/missing.crt (ENOENT)'],
          ['authentication.clientCAFiles[1]', 'DIR/empty.crt holds no PEM certificate'],
          ['authentication.clientCAFiles[2]', 'DIR/leaf.crt holds a certificate that is not a CA (basicConstraints CA:TRUE)'],
          ['identity.requestHeader.clientKeyFile', 'DIR/wrong.key is not the key of the certificate in identity.requestHeader.clientCertFile'],
        ],
      );
    }
  });
});
