/**
 * Incoming identity headers are removed from every request before any other step looks at it: a caller
 * must never be able to assert who it is by sending the headers the apiserver trusts from a front proxy
 * (`X-Remote-*`) or by impersonating (`Impersonate-*`). Names compare case-insensitively and every
 * duplicate goes. The authentication step adds the configured request-header names to this list.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { filterHeaders, type RawHeaders } from './raw-headers.js';

export const IDENTITY_HEADER_NAMES: readonly string[] = ['x-remote-user', 'x-remote-group', 'x-remote-uid'];
export const IDENTITY_HEADER_PREFIXES: readonly string[] = ['impersonate-', 'x-remote-extra-'];

export function isIdentityHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return IDENTITY_HEADER_NAMES.includes(lower) || IDENTITY_HEADER_PREFIXES.some((p) => lower.startsWith(p));
}

/** The raw header list without identity headers (`isIdentity`: the authentication step's wider rule). */
export function stripIdentityHeaders(raw: RawHeaders, isIdentity: (name: string) => boolean = isIdentityHeader): string[] {
  return filterHeaders(raw, (name) => !isIdentity(name));
}

/** Removes identity headers from Node's parsed header object too, so no later code can read them. */
export function scrubIdentityHeaders(headers: IncomingHttpHeaders, isIdentity: (name: string) => boolean = isIdentityHeader): void {
  for (const name of Object.keys(headers)) {
    if (isIdentity(name)) delete headers[name];
  }
}
