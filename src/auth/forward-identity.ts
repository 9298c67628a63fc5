/**
 * The headers that carry an identity to the apiserver, per forwarding mode. Pure.
 * - requestHeader (the apiserver's authenticating-proxy mode, --requestheader-*): the first configured
 *   username header, one group header line per group, the uid header when there is a uid, and one
 *   `<extra prefix><escaped key>` line per extra value; the front-proxy client certificate (chosen by
 *   the upstream client) is what makes the apiserver trust them.
 * - impersonate: Impersonate-User, one Impersonate-Group per group, Impersonate-Uid, and
 *   Impersonate-Extra-<escaped key> per value, as client-go's ImpersonatingRoundTripper sends them; the
 *   gateway's own credentials authorize the impersonation.
 * - passthrough: the caller's own bearer token, the one the gateway authenticated (exactly one
 *   Authorization line, whatever the caller sent).
 * - insecure: nothing (the gateway's own identity).
 */
import type { IdentityMode, RequestHeaderConfig } from '../config/complete-auth.js';
import { encodeHeaderText, escapeExtraKey } from './header-text.js';
import { ANONYMOUS_USER, type UserInfo } from './user-info.js';

export type RequestHeaderNames = Pick<RequestHeaderConfig, 'usernameHeaders' | 'groupHeaders' | 'uidHeaders' | 'extraHeaderPrefixes'>;

function identityLines(user: UserInfo, names: { user: string; group: string | undefined; uid: string | undefined; extraPrefix: string | undefined }): string[] {
  const out = [names.user, encodeHeaderText(user.username)];
  if (names.group !== undefined) for (const group of user.groups) out.push(names.group, encodeHeaderText(group));
  if (names.uid !== undefined && user.uid) out.push(names.uid, encodeHeaderText(user.uid));
  if (names.extraPrefix !== undefined) {
    for (const [key, values] of Object.entries(user.extra)) {
      for (const value of values) out.push(`${names.extraPrefix}${escapeExtraKey(key)}`, encodeHeaderText(value));
    }
  }
  return out;
}

/** X-Remote-* (or the configured names) for a user. Throws UnsendableHeaderValueError on control characters. */
export function requestHeaderLines(user: UserInfo, names: RequestHeaderNames): string[] {
  return identityLines(user, {
    user: names.usernameHeaders[0]!,
    group: names.groupHeaders[0],
    uid: names.uidHeaders[0],
    extraPrefix: names.extraHeaderPrefixes[0],
  });
}

/**
 * Impersonate-* for a user. Groups are sent as they are, system:authenticated included: the apiserver
 * then takes them as the whole group list. The anonymous user keeps its system:unauthenticated group.
 */
export function impersonationLines(user: UserInfo): string[] {
  return identityLines(user, { user: 'Impersonate-User', group: 'Impersonate-Group', uid: 'Impersonate-Uid', extraPrefix: 'Impersonate-Extra-' });
}

export interface ForwardingInput {
  mode: IdentityMode;
  /** Whom the upstream must see: the caller, or whom the gateway checked it may impersonate. */
  user: UserInfo;
  /** The caller's bearer token, when that is how it authenticated (passthrough forwards it). */
  token: string | undefined;
  names: RequestHeaderNames;
}

export function forwardingHeaders(input: ForwardingInput): string[] {
  switch (input.mode) {
    case 'requestHeader':
      return requestHeaderLines(input.user, input.names);
    case 'impersonate':
      return impersonationLines(input.user);
    case 'passthrough':
      // An anonymous caller has nothing to pass through: the apiserver sees an anonymous request too.
      return input.token === undefined || input.user.username === ANONYMOUS_USER ? [] : ['Authorization', `Bearer ${input.token}`];
    case 'insecure':
      return [];
  }
}
