/**
 * The `authentication.kubernetes.io/credential-id` extra kube-apiserver (1.32+) gives a user for the
 * credential it authenticated with, so audit logs can tell credentials of one user apart
 * (k8s.io/apiserver/pkg/authentication/user CredentialIDKey): for a client certificate
 * `X509SHA256=<hex SHA-256 of the certificate's DER>` (request/x509), for a service-account token
 * `JTI=<jti>` (which TokenReview already returns). Pure.
 */
import { createHash, type X509Certificate } from 'node:crypto';

export const CREDENTIAL_ID_EXTRA = 'authentication.kubernetes.io/credential-id';

export function x509CredentialId(leaf: X509Certificate): string {
  return `X509SHA256=${createHash('sha256').update(leaf.raw).digest('hex')}`;
}
