/**
 * verifyClientCertificate, table-driven: the x509 authenticator's outcomes for valid, expired,
 * not-yet-valid, wrong-CA, wrong-usage, intermediate-chain, impostor and CN-less certificates.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createCA, issueClientCert, issueServingCert, type CertificateAuthority } from '../../src/certs/pki.js';
import { verifyClientCertificate, type CertificateRefusal } from '../../src/auth/verify-client-cert.js';
import { issueTestCert } from './support/test-certs.js';

const DAY = 86_400_000;
const x509 = (pem: string) => new X509Certificate(pem);

interface Row {
  name: string;
  chain: () => string[];
  now?: Date;
  expect: { user: string; groups: string[] } | CertificateRefusal;
}

describe('verifyClientCertificate', () => {
  let root: CertificateAuthority;
  let other: CertificateAuthority;
  let intermediate: CertificateAuthority;
  const rows: Row[] = [];

  before(() => {
    root = createCA('client-root');
    other = createCA('someone-else');
    intermediate = issueTestCert({ issuer: root, ca: true, commonName: 'client-intermediate' });
    const impostor = createCA('client-root'); // same name as the trusted CA, different key
    const fromIntermediate = issueTestCert({ issuer: intermediate, commonName: 'ivy', groups: ['team-i'] });
    const notCaIntermediate = issueTestCert({ issuer: root, ca: false, usage: 'none', commonName: 'not-a-ca' });
    const expiredIntermediate = issueTestCert({ issuer: root, ca: true, commonName: 'old-intermediate', notAfter: new Date(Date.now() - DAY) });
    const serverOnlyIntermediate = issueTestCert({ issuer: root, ca: true, usage: 'serverAuth', commonName: 'server-intermediate' });
    const jane = issueClientCert(root, { commonName: 'jane', groups: ['developers', 'qa'] });
    rows.push(
      { name: 'a valid client certificate', chain: () => [jane.certPem], expect: { user: 'jane', groups: ['developers', 'qa', 'system:authenticated'] } },
      { name: 'expired', chain: () => [issueClientCert(root, { commonName: 'jane', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }).certPem], expect: 'expired' },
      { name: 'not yet valid', chain: () => [issueClientCert(root, { commonName: 'jane', notBefore: new Date(Date.now() + DAY) }).certPem], expect: 'not_yet_valid' },
      { name: 'valid, judged by a clock a year later (injected)', chain: () => [jane.certPem], now: new Date(Date.now() + 400 * DAY), expect: 'expired' },
      { name: 'signed by another CA', chain: () => [issueClientCert(other, { commonName: 'mallory', groups: ['system:masters'] }).certPem], expect: 'unknown_authority' },
      { name: 'serverAuth only', chain: () => [issueServingCert(root).certPem], expect: 'wrong_usage' },
      { name: 'no extended key usage (any usage, as Go)', chain: () => [issueTestCert({ issuer: root, commonName: 'legacy', usage: 'none' }).certPem], expect: { user: 'legacy', groups: ['system:authenticated'] } },
      { name: 'through an intermediate the client sent', chain: () => [fromIntermediate.certPem, intermediate.certPem], expect: { user: 'ivy', groups: ['team-i', 'system:authenticated'] } },
      { name: 'through an intermediate the client did not send', chain: () => [fromIntermediate.certPem], expect: 'unknown_authority' },
      { name: 'through an "intermediate" that is not a CA', chain: () => [issueTestCert({ issuer: notCaIntermediate, commonName: 'x' }).certPem, notCaIntermediate.certPem], expect: 'unknown_authority' },
      { name: 'through an expired intermediate', chain: () => [issueTestCert({ issuer: expiredIntermediate, commonName: 'x' }).certPem, expiredIntermediate.certPem], expect: 'expired' },
      { name: 'through a serverAuth-only intermediate', chain: () => [issueTestCert({ issuer: serverOnlyIntermediate, commonName: 'x' }).certPem, serverOnlyIntermediate.certPem], expect: 'wrong_usage' },
      { name: "from an impostor CA with the trusted CA's name", chain: () => [issueTestCert({ issuer: impostor, commonName: 'admin', groups: ['system:masters'], authorityKeyId: false }).certPem], expect: 'bad_signature' },
      { name: 'without a common name', chain: () => [issueTestCert({ issuer: root, commonName: '' }).certPem], expect: 'no_common_name' },
    );
  });

  it('answers every row as the x509 authenticator would', () => {
    assert.ok(rows.length > 10);
    for (const row of rows) {
      const result = verifyClientCertificate({ chain: row.chain().map(x509), roots: [x509(root.certPem)], now: row.now ?? new Date() });
      if (typeof row.expect === 'string') {
        assert.equal(result.ok, false, row.name);
        if (!result.ok) {
          assert.equal(result.reason, row.expect, `${row.name}: ${result.detail}`);
          assert.ok(result.detail.length > 10, row.name);
        }
      } else {
        assert.ok(result.ok, `${row.name}: ${result.ok ? '' : result.detail}`);
        assert.deepEqual({ user: result.user.username, groups: result.user.groups }, row.expect, row.name);
      }
    }
  });

  it('trusts any of several client CAs', () => {
    const mallory = issueClientCert(other, { commonName: 'mallory' });
    const result = verifyClientCertificate({ chain: [x509(mallory.certPem)], roots: [x509(root.certPem), x509(other.certPem)], now: new Date() });
    assert.ok(result.ok);
    assert.equal(result.user.username, 'mallory');
  });

  it('names the certificate and the reason in the detail, never a key', () => {
    const expired = issueClientCert(root, { commonName: 'jane', notAfter: new Date(Date.now() - DAY) });
    const result = verifyClientCertificate({ chain: [x509(expired.certPem)], roots: [x509(root.certPem)], now: new Date() });
    assert.ok(!result.ok);
    assert.match(result.detail, /^certificate CN=jane \(serial [0-9A-F]+\) expired at \d{4}-/);
    assert.ok(!result.detail.includes('PRIVATE'));
  });
});
