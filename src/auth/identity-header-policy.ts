/**
 * Which incoming headers are identity headers the gateway strips before anything else looks at the
 * request, per forwarding mode (names compared case-insensitively, every duplicate):
 * - always: X-Remote-User, X-Remote-Group, X-Remote-Uid, X-Remote-Extra-*, and the configured
 *   request-header names and prefixes: only the gateway may assert an identity in them;
 * - Impersonate-*, except in requestHeader and passthrough modes, where they are the caller's own
 *   `kubectl --as` and the apiserver checks them against the real caller. In impersonate mode the
 *   gateway reads them from the original request to decide them itself, and sends only its own;
 *   in insecure mode they would let any caller borrow the gateway's privileges.
 * The caller's Authorization is handled by upstream-headers.ts: it never goes upstream as sent.
 */
import type { IdentityMode } from '../config/complete-auth.js';
import { IDENTITY_HEADER_NAMES, IDENTITY_HEADER_PREFIXES } from '../gateway/identity-headers.js';
import type { RequestHeaderNames } from './forward-identity.js';

export type HeaderPredicate = (name: string) => boolean;

const IMPERSONATE_PREFIX = 'impersonate-';

export function identityHeaderPredicate(opts: { mode: IdentityMode; names: RequestHeaderNames }): HeaderPredicate {
  const lower = (list: readonly string[]) => list.map((n) => n.toLowerCase());
  const exact = new Set([
    ...IDENTITY_HEADER_NAMES,
    ...lower(opts.names.usernameHeaders),
    ...lower(opts.names.groupHeaders),
    ...lower(opts.names.uidHeaders),
  ]);
  const prefixes = [...IDENTITY_HEADER_PREFIXES.filter((p) => p !== IMPERSONATE_PREFIX), ...lower(opts.names.extraHeaderPrefixes)];
  const keepImpersonation = opts.mode === 'requestHeader' || opts.mode === 'passthrough';
  if (!keepImpersonation) prefixes.push(IMPERSONATE_PREFIX);
  return (name) => {
    const n = name.toLowerCase();
    return exact.has(n) || prefixes.some((p) => n.startsWith(p));
  };
}
