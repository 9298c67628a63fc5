/**
 * A caller's own impersonation request (`kubectl --as`, `--as-group`, `--as-uid`), read from its
 * Impersonate-* headers the way endpoints/filters/impersonation.go reads them, for identity.mode
 * `impersonate`, where the gateway must decide it before impersonating on the caller's behalf:
 * - Impersonate-User (first value): a service account `system:serviceaccount:<ns>:<name>` is checked as
 *   resource `serviceaccounts` in that namespace, any other name as `users`;
 * - each Impersonate-Group line: `groups`; Impersonate-Uid: `uids` (authentication.k8s.io);
 * - each Impersonate-Extra-<key> value: `userextras/<key>` (authentication.k8s.io), key unescaped and
 *   lower-cased;
 * - groups, uid or extra without a user is an error.
 * The impersonated identity: a service account without groups gets system:serviceaccounts and
 * system:serviceaccounts:<ns>; a named user gets system:authenticated unless system:authenticated or
 * system:unauthenticated is already there; system:anonymous gets system:unauthenticated. Pure.
 */
import { filterHeaders, headerValues, type RawHeaders } from '../gateway/raw-headers.js';
import { decodeHeaderText, unescapeExtraKey } from './header-text.js';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, splitServiceAccount, type UserInfo } from './user-info.js';

/** One check the apiserver would make: may the requester `impersonate` this? (SubjectAccessReview attributes) */
export interface ImpersonationCheck {
  readonly group: string;
  readonly resource: 'users' | 'serviceaccounts' | 'groups' | 'uids' | 'userextras';
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name: string;
}

export type ImpersonationRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'impersonate'; readonly target: UserInfo; readonly checks: readonly ImpersonationCheck[] };

const EXTRA_PREFIX = 'impersonate-extra-';

export function readImpersonationRequest(raw: RawHeaders): ImpersonationRequest {
  const first = (name: string): string | undefined => {
    const v = headerValues(raw, name)[0];
    return v === undefined || v === '' ? undefined : decodeHeaderText(v);
  };
  const user = first('impersonate-user');
  const groups = headerValues(raw, 'impersonate-group').map(decodeHeaderText);
  const uid = first('impersonate-uid');
  const extraLines = filterHeaders(raw, (name) => name.startsWith(EXTRA_PREFIX));
  if (user === undefined) {
    if (groups.length > 0 || uid !== undefined || extraLines.length > 0) {
      return { kind: 'invalid', message: 'requested impersonation of groups, a uid or extra attributes without impersonating a user (Impersonate-User)' };
    }
    return { kind: 'none' };
  }

  const checks: ImpersonationCheck[] = [];
  const sa = splitServiceAccount(user);
  checks.push(sa ? { group: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name } : { group: '', resource: 'users', name: user });
  for (const group of groups) checks.push({ group: '', resource: 'groups', name: group });
  if (uid !== undefined) checks.push({ group: 'authentication.k8s.io', resource: 'uids', name: uid });
  const extra: Record<string, string[]> = {};
  for (let i = 0; i + 1 < extraLines.length; i += 2) {
    const key = unescapeExtraKey(extraLines[i]!.slice(EXTRA_PREFIX.length));
    const value = decodeHeaderText(extraLines[i + 1]!);
    (extra[key] ??= []).push(value);
    checks.push({ group: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value });
  }

  let targetGroups = [...groups];
  if (sa && groups.length === 0) targetGroups = ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
  if (user !== ANONYMOUS_USER) {
    if (!targetGroups.includes(ALL_AUTHENTICATED) && !targetGroups.includes(ALL_UNAUTHENTICATED)) targetGroups.push(ALL_AUTHENTICATED);
  } else if (!targetGroups.includes(ALL_UNAUTHENTICATED)) {
    targetGroups.push(ALL_UNAUTHENTICATED);
  }
  return { kind: 'impersonate', target: { username: user, groups: targetGroups, extra, ...(uid !== undefined ? { uid } : {}) }, checks };
}

/** `users "bob"` / `serviceaccounts "ns/bot"`: how a check reads in a message. */
export function describeCheck(check: ImpersonationCheck): string {
  const resource = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  const name = check.namespace ? `${check.namespace}/${check.name}` : check.name;
  return `${resource} ${JSON.stringify(name.slice(0, 253))}`;
}
