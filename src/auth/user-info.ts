/**
 * Who a request is from, as the apiserver's user.Info has it: a name, an optional uid, groups and extra
 * attributes. The well-known names and the two group rules every authenticator shares:
 * - authentication/group/authenticated_group_adder.go: `system:authenticated` joins every identity that
 *   has neither `system:authenticated` nor `system:unauthenticated` already;
 * - authentication/request/anonymous: `system:anonymous` in `system:unauthenticated`.
 */

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** Keys lower-case, as the apiserver stores them. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS_USER = 'system:anonymous';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';

/** How the gateway learned the identity; a metric label and a log field. */
export type AuthMethod = 'x509' | 'token' | 'anonymous';

export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

export function anonymousUser(): UserInfo {
  return { username: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED], extra: {} };
}

/** `system:serviceaccount:<namespace>:<name>` split, or undefined (serviceaccount.SplitUsername). */
export function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

/** A short form for logs: the name and groups, never extra values (they may carry session data). */
export function describeUser(user: UserInfo): { user: string; groups: readonly string[]; uid?: string } {
  return { user: user.username, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}) };
}
