/**
 * curl, the operator's first tool, through the gateway: a client certificate, a bearer token, no
 * credentials at all, a spoofed identity header, and a watch read as it streams.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pkiPaths } from '../../src/certs/dev-pki.js';
import { CREDENTIAL_ID_EXTRA, x509CredentialId } from '../../src/k8s/credential-id.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

interface CurlResult {
  code: number;
  status: number;
  body: string;
}

/** Runs curl; the HTTP status comes from --write-out on the last line. */
function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--write-out', '\n%{http_code}', ...args], { timeout: 30_000 }, (err, stdout) => {
      const cut = stdout.lastIndexOf('\n');
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

describe('curl through the gateway', () => {
  let stack: E2EStack;
  let ca: string;
  let user: { cert: string; key: string };
  let token: string;

  before(async () => {
    stack = await startE2EStack();
    const pkiDir = join(stack.dir, 'pki');
    ca = pkiPaths(pkiDir, 'ca').cert;
    user = pkiPaths(pkiDir, 'user');
    token = /token: (\S+)/.exec(await readFile(stack.tokenKubeconfig, 'utf8'))![1]!;
  });
  after(async () => stack?.close());

  it('a client certificate reads a page of secrets', async () => {
    const r = await curl(['--cacert', ca, '--cert', user.cert, '--key', user.key, `${stack.gatewayUrl}/api/v1/namespaces/default/secrets?limit=2`]);
    assert.equal(r.code, 0);
    assert.equal(r.status, 200);
    const list = JSON.parse(r.body) as { kind: string; items: unknown[]; metadata: { continue?: string } };
    assert.equal(list.kind, 'SecretList');
    assert.equal(list.items.length, 2);
    assert.ok(list.metadata.continue);
  });

  it('a bearer token is checked with a TokenReview and the upstream sees its user', async () => {
    const r = await curl(['--cacert', ca, '-H', `Authorization: Bearer ${token}`, '-X', 'POST', '-H', 'Content-Type: application/json',
      '--data', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      `${stack.gatewayUrl}/apis/authentication.k8s.io/v1/selfsubjectreviews`]);
    assert.equal(r.status, 201, r.body);
    assert.equal((JSON.parse(r.body) as { status: { userInfo: { username: string } } }).status.userInfo.username, 'ci-bot');
  });

  it('no credentials get a 401 Status, and a bad token too', async () => {
    for (const extra of [[], ['-H', 'Authorization: Bearer not-a-token']]) {
      const r = await curl(['--cacert', ca, ...extra, `${stack.gatewayUrl}/api/v1/secrets`]);
      assert.equal(r.status, 401);
      const status = JSON.parse(r.body) as { kind: string; reason: string; code: number };
      assert.equal(status.kind, 'Status');
      assert.equal(status.reason, 'Unauthorized');
      assert.equal(status.code, 401);
    }
  });

  it('a spoofed identity header does not change who the upstream sees', async () => {
    const r = await curl(['--cacert', ca, '--cert', user.cert, '--key', user.key,
      '-H', 'X-Remote-User: admin', '-H', 'x-remote-group: system:masters', '-H', 'X-Remote-Extra-Scopes: all',
      '-X', 'POST', '-H', 'Content-Type: application/json',
      '--data', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      `${stack.gatewayUrl}/apis/authentication.k8s.io/v1/selfsubjectreviews`]);
    assert.equal(r.status, 201, r.body);
    const info = (JSON.parse(r.body) as { status: { userInfo: { username: string; groups: string[]; extra?: object } } }).status.userInfo;
    assert.equal(info.username, 'jane');
    assert.equal(info.groups.includes('system:masters'), false);
    // Only the extra the gateway sets for a certificate, as the apiserver would: its credential id.
    assert.deepEqual(info.extra, { [CREDENTIAL_ID_EXTRA]: [x509CredentialId(new X509Certificate(await readFile(user.cert)))] });
  });

  it('a watch streams its events to curl -N until the server times it out', async () => {
    const r = await curl(['-N', '--cacert', ca, '--cert', user.cert, '--key', user.key,
      `${stack.gatewayUrl}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=2`]);
    assert.equal(r.code, 0, 'the watch ends cleanly');
    assert.equal(r.status, 200);
    const events = r.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string } });
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.type === 'ADDED' && e.object.kind === 'ConfigMap'));
  });
});
