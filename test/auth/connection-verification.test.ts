/**
 * A keep-alive connection's client certificate is verified once and trusted for its next requests, but
 * never past the certificate's expiry, and never by an authenticator built for other client CAs.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRequestAuthenticator, type AuthenticationResult, type RequestAuthenticator } from '../../src/auth/authenticate-request.js';
import { createCA, issueClientCert, issueServingCert } from '../../src/certs/pki.js';

describe('client certificates on a keep-alive connection', () => {
  const ca = createCA('conn-ca');
  const otherCa = createCA('other-ca');
  const serving = issueServingCert(ca);
  const start = new Date();
  const client = issueClientCert(ca, { commonName: 'kim', groups: ['team'], notBefore: new Date(start.getTime() - 60_000), notAfter: new Date(start.getTime() + 60 * 60_000) });
  let clock = start;
  let authenticator: RequestAuthenticator;
  let server: Server;
  let port: number;
  let agent: Agent;
  let connections = 0;

  before(async () => {
    server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      void authenticator.authenticate(req).then((result: AuthenticationResult) => res.end(JSON.stringify(result)));
    });
    server.on('secureConnection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem, cert: client.certPem, key: client.keyPem });
  });
  after(() => {
    agent.destroy();
    server.close();
  });

  const call = (): Promise<AuthenticationResult> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(JSON.parse(body) as AuthenticationResult));
      }).on('error', reject).end();
    });

  const build = (roots: string): RequestAuthenticator =>
    createRequestAuthenticator({ clientCAs: [new X509Certificate(roots)], tokens: undefined, anonymous: false, now: () => clock });

  it('stays trusted on its connection, and is refused there once it expires', async () => {
    authenticator = build(ca.certPem);
    const first = await call();
    const second = await call();
    assert.equal(connections, 1, 'both requests used one connection');
    assert.ok(first.ok && second.ok);
    assert.equal(first.ok && first.user.username, 'kim');
    clock = new Date(start.getTime() + 2 * 60 * 60_000);
    const late = await call();
    assert.equal(connections, 1);
    assert.equal(late.ok, false, 'an expired certificate is refused on the same connection');
    assert.equal(!late.ok && late.reason, 'expired');
  });

  it('is not trusted by an authenticator for other client CAs (a reload)', async () => {
    clock = start;
    authenticator = build(ca.certPem);
    assert.equal((await call()).ok, true);
    authenticator = build(otherCa.certPem);
    const refused = await call();
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.reason, 'unknown_authority');
  });
});
