/**
 * Certificates src/certs/pki.ts does not make, for the verification tables: intermediate CAs, client
 * certificates without an extended key usage, and certificates without an authority key identifier (so a
 * same-named impostor CA is matched by name and caught by its signature). node-forge, test-only.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { CertificateAuthority, KeyPairPem } from '../../../src/certs/pki.js';

export interface TestCertOptions {
  issuer: CertificateAuthority;
  commonName?: string;
  groups?: string[];
  ca?: boolean;
  /** Extended key usage; 'none' leaves the extension out. Default clientAuth (serverAuth for a CA: none). */
  usage?: 'clientAuth' | 'serverAuth' | 'none';
  /** Include the authority key identifier (default true). */
  authorityKeyId?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

export function issueTestCert(opts: TestCertOptions): CertificateAuthority & KeyPairPem {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const issuerCert = forge.pki.certificateFromPem(opts.issuer.certPem);
  const issuerKey = forge.pki.privateKeyFromPem(opts.issuer.keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 86_400_000);
  const commonName = opts.commonName ?? 'test';
  cert.setSubject([...(opts.groups ?? []).map((value) => ({ name: 'organizationName', value })), { name: 'commonName', value: commonName }]);
  cert.setIssuer(issuerCert.subject.attributes);
  const usage = opts.usage ?? (opts.ca ? 'none' : 'clientAuth');
  cert.setExtensions([
    { name: 'basicConstraints', cA: opts.ca === true, critical: opts.ca === true },
    opts.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...(usage === 'none' ? [] : [{ name: 'extKeyUsage', [usage]: true }]),
    ...(opts.ca ? [{ name: 'subjectKeyIdentifier' }] : []),
    ...(opts.authorityKeyId === false ? [] : [{ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() }]),
  ]);
  cert.sign(issuerKey, forge.md.sha256.create());
  return { commonName, certPem: forge.pki.certificateToPem(cert), keyPem };
}
