/**
 * The certificates a TLS client presented, leaf first, as X509Certificate objects. Node exposes the
 * chain as linked `issuerCertificate` objects (ending in a self-reference at a root); the gateway's TLS
 * server asks for a certificate without requiring one (`requestCert`, `rejectUnauthorized: false`), so
 * an untrusted certificate still reaches the authenticator and is refused with a 401 Status instead of
 * a TLS alert. The parsed chain is remembered per connection: keep-alive requests reuse it.
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

const MAX_LINKS = 10;
const parsed = new WeakMap<object, readonly X509Certificate[]>();

function isTlsSocket(socket: Socket): socket is TLSSocket {
  return typeof (socket as Partial<TLSSocket>).getPeerCertificate === 'function';
}

/** Leaf first; empty when the client sent no certificate (or the connection is not TLS). */
export function peerCertificates(socket: Socket): readonly X509Certificate[] {
  if (!isTlsSocket(socket)) return [];
  const known = parsed.get(socket);
  if (known) return known;
  const chain: X509Certificate[] = [];
  let link: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (link && link.raw && chain.length < MAX_LINKS && !seen.has(link.fingerprint256)) {
    seen.add(link.fingerprint256);
    chain.push(new X509Certificate(link.raw));
    link = link.issuerCertificate;
  }
  parsed.set(socket, chain);
  return chain;
}
