/**
 * Authentication as the apiserver's union authenticator does it for the methods we serve, in its order:
 * the front proxy's request headers (front-proxy.ts, when configured), an x509 client certificate issued
 * by the client CA (CN = user, each O = group, k8s.io/apiserver/pkg/authentication/request/x509/x509.go
 * CommonNameUserConversion), then a static bearer token (token file authenticator). Authenticated users
 * get `system:authenticated` (authentication/group/authenticated_group_adder.go). Impersonation headers
 * are read the way endpoints/filters/impersonation.go does; identify.ts checks who may use them.
 */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { fromRequestHeaders, type FrontProxy } from './front-proxy.js';

export interface Identity {
  user: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export type TokenTable = Record<string, { user: string; groups: string[]; uid?: string }>;

export interface AuthnDeps {
  tokens: TokenTable;
  /** The cluster client CA: a certificate must be issued by it to authenticate as its CN. */
  clientCa: X509Certificate;
  frontProxy?: FrontProxy;
}

const AUTHENTICATED = 'system:authenticated';

function withAuthenticatedGroup(groups: string[], user: string): string[] {
  if (user === 'system:anonymous' || groups.includes(AUTHENTICATED)) return groups;
  return [...groups, AUTHENTICATED];
}

/** The peer's verified leaf certificate (the TLS server checked it against the CAs it trusts). */
function verifiedLeaf(req: IncomingMessage): X509Certificate | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized || typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate();
}

function fromCertificate(req: IncomingMessage, leaf: X509Certificate | undefined, clientCa: X509Certificate): Identity | undefined {
  // The server also trusts the front-proxy CA: only the client CA's certificates name users.
  if (!leaf || !leaf.checkIssued(clientCa) || !leaf.verify(clientCa.publicKey)) return undefined;
  const cert = (req.socket as TLSSocket).getPeerCertificate();
  const subject = cert?.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.['CN'];
  const user = Array.isArray(cn) ? cn[0] : cn;
  if (!user) return undefined;
  const o = subject?.['O'];
  const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
  return { user, groups };
}

/** The bearer token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

export function lookupToken(tokens: TokenTable, token: string): Identity | undefined {
  const entry = Object.hasOwn(tokens, token) ? tokens[token] : undefined;
  if (!entry) return undefined;
  return { user: entry.user, groups: [...entry.groups], ...(entry.uid ? { uid: entry.uid } : {}) };
}

/** The authenticated identity, or undefined (401). */
export function authenticate(req: IncomingMessage, deps: AuthnDeps): Identity | undefined {
  const leaf = verifiedLeaf(req);
  const found = (deps.frontProxy ? fromRequestHeaders(req, leaf, deps.frontProxy) : undefined) ?? fromCertificate(req, leaf, deps.clientCa) ?? (() => {
    const token = bearerToken(req);
    return token === undefined ? undefined : lookupToken(deps.tokens, token);
  })();
  if (!found) return undefined;
  return { ...found, groups: withAuthenticatedGroup(found.groups, found.user) };
}

/** Applies Impersonate-User/-Group/-Uid/-Extra-*; returns an error message for an unusable combination. */
export function impersonate(req: IncomingMessage, identity: Identity): Identity | { error: string } {
  const headers = req.headersDistinct;
  const user = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('impersonate-extra-') || !values) continue;
    extra[decodeURIComponent(name.slice('impersonate-extra-'.length)).toLowerCase()] = [...values];
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (user === undefined) {
    if (groups.length > 0 || uid !== undefined || hasExtra) return { error: 'requested impersonation of groups, uid or extra without impersonating a user' };
    return identity;
  }
  const impersonatedGroups = [...groups];
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  if (sa && groups.length === 0) impersonatedGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  return {
    user,
    groups: withAuthenticatedGroup(impersonatedGroups, user),
    ...(uid !== undefined ? { uid } : {}),
    ...(hasExtra ? { extra } : {}),
  };
}
