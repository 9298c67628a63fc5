/**
 * x509 client-certificate authentication as k8s.io/apiserver/pkg/authentication/request/x509 does it:
 * the leaf is verified against the configured client CAs (Go's x509.Verify with the peer's other
 * certificates as intermediates and ExtKeyUsageClientAuth), then CommonNameUserConversion gives the
 * identity: CN is the user name, each O a group; a certificate without a CN names no one. The user's
 * extra carries the certificate's credential id as kube-apiserver 1.32 sets it (src/k8s/credential-id.ts).
 *
 * Checked, in Go's order: the leaf's validity window, a chain of signatures up to a configured CA (every
 * link issued by and signed with the key of the next, intermediates marked CA), every certificate of the
 * chain inside its validity window, and the extended key usage of each certificate that declares one
 * allowing clientAuth (or anyExtendedKeyUsage). Pure: the clock is an argument.
 */
import type { X509Certificate } from 'node:crypto';
import { CREDENTIAL_ID_EXTRA, x509CredentialId } from '../k8s/credential-id.js';
import { withAuthenticatedGroup, type UserInfo } from './user-info.js';

export type CertificateRefusal = 'expired' | 'not_yet_valid' | 'unknown_authority' | 'bad_signature' | 'wrong_usage' | 'no_common_name';

export type ClientCertificateResult =
  | { readonly ok: true; readonly user: UserInfo; readonly notAfter: Date }
  | { readonly ok: false; readonly reason: CertificateRefusal; readonly detail: string };

export interface VerifyClientCertificateOptions {
  /** The peer's certificates, leaf first, as presented in the handshake. */
  chain: readonly X509Certificate[];
  roots: readonly X509Certificate[];
  now: Date;
}

const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EKU_ANY = '2.5.29.37.0';
const MAX_CHAIN = 8;

type Subject = Record<string, string | string[] | undefined>;

/** Subject attributes as Node parses them (one value, or an array for repeated attributes). */
function subjectOf(cert: X509Certificate): Subject {
  return (cert.toLegacyObject().subject ?? {}) as unknown as Subject;
}

function values(subject: Subject, key: string): string[] {
  const v = subject[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** For logs and messages: `CN=jane, serial 74EE…`; names no secret. */
export function describeCertificate(cert: X509Certificate): string {
  const cn = values(subjectOf(cert), 'CN')[0];
  return `${cn === undefined ? 'without CN' : `CN=${cn}`} (serial ${cert.serialNumber})`;
}

function windowRefusal(cert: X509Certificate, now: Date): ClientCertificateResult | undefined {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) return { ok: false, reason: 'not_yet_valid', detail: `certificate ${describeCertificate(cert)} is not valid before ${notBefore.toISOString()}` };
  if (now > notAfter) return { ok: false, reason: 'expired', detail: `certificate ${describeCertificate(cert)} expired at ${notAfter.toISOString()}` };
  return undefined;
}

const issuedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer);

/** The path from the leaf to a trusted root, or why there is none. */
function buildPath(opts: VerifyClientCertificateOptions): X509Certificate[] | ClientCertificateResult {
  const intermediates = opts.chain.slice(1).filter((c) => c.ca);
  const path = [opts.chain[0]!];
  let badSignature = false;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const current = path[path.length - 1]!;
    const root = opts.roots.find((r) => issuedBy(current, r));
    if (root) {
      if (current.verify(root.publicKey)) return [...path, root];
      badSignature = true;
    }
    const next = intermediates.find((c) => !path.includes(c) && issuedBy(current, c) && current.verify(c.publicKey));
    if (!next) break;
    path.push(next);
  }
  const leaf = describeCertificate(opts.chain[0]!);
  if (badSignature) return { ok: false, reason: 'bad_signature', detail: `certificate ${leaf} names a trusted CA as issuer but its signature does not verify` };
  return { ok: false, reason: 'unknown_authority', detail: `certificate ${leaf} is signed by an authority that is not among the client CAs (${opts.chain[0]!.issuer.replace(/\n/g, ', ')})` };
}

export function verifyClientCertificate(opts: VerifyClientCertificateOptions): ClientCertificateResult {
  const leaf = opts.chain[0];
  if (!leaf) return { ok: false, reason: 'unknown_authority', detail: 'no certificate' };
  const early = windowRefusal(leaf, opts.now);
  if (early) return early;
  const path = buildPath(opts);
  if (!Array.isArray(path)) return path;
  for (const cert of path) {
    const refusal = windowRefusal(cert, opts.now);
    if (refusal) return refusal;
    const usages = cert.keyUsage as string[] | undefined;
    if (usages && usages.length > 0 && !usages.includes(EKU_CLIENT_AUTH) && !usages.includes(EKU_ANY)) {
      return { ok: false, reason: 'wrong_usage', detail: `certificate ${describeCertificate(cert)} is not for client authentication (extended key usage ${usages.join(', ')})` };
    }
  }
  const subject = subjectOf(leaf);
  const username = values(subject, 'CN')[0];
  if (!username) return { ok: false, reason: 'no_common_name', detail: `certificate ${describeCertificate(leaf)} has no common name to use as the user name` };
  return {
    ok: true,
    user: withAuthenticatedGroup({ username, groups: values(subject, 'O'), extra: { [CREDENTIAL_ID_EXTRA]: [x509CredentialId(leaf)] } }),
    notAfter: new Date(leaf.validTo),
  };
}
