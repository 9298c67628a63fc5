/**
 * RBAC-like grants for the simulator. A simulator given an AccessRules table authorizes the way
 * kube-apiserver's RBAC authorizer does (plugin/pkg/auth/authorizer/rbac): system:masters may do anything;
 * everyone else only what a grant allows (a rule for a user, group or service account, in one namespace
 * like a RoleBinding or everywhere like a ClusterRoleBinding) or what the default cluster roles give every
 * authenticated user (system:basic-user's self reviews, system:discovery's and system:public-info-viewer's
 * read-only paths). Refusals are the authorization filter's 403 (endpoints/handlers/responsewriters
 * Forbidden). Without a table the simulator allows every authenticated request (authorizer.ts).
 */
import type { RequestInfo } from '../k8s/request-info.js';
import { failureStatus, qualifiedResource, type Status } from '../k8s/status.js';

export interface AccessRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface AccessSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** ServiceAccount subjects only. */
  namespace?: string;
}

/** What is asked, as authorizer.Attributes carries it. */
export interface AccessAttributes {
  user: string;
  groups: readonly string[];
  verb: string;
  /** Resource requests: group, resource, subresource, namespace, name. */
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests: the path. */
  path?: string;
}

export interface AccessRules {
  grant(subject: AccessSubject, rules: AccessRule[], namespace?: string): void;
  allows(attrs: AccessAttributes): boolean;
}

const MASTERS = 'system:masters';
const AUTHENTICATED = 'system:authenticated';

/** bootstrappolicy: what system:basic-user, system:discovery and system:public-info-viewer give every authenticated user. */
const AUTHENTICATED_DEFAULTS: AccessRule[] = [
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] },
];

const has = (list: readonly string[] | undefined, value: string): boolean => list !== undefined && (list.includes('*') || list.includes(value));

/** rbac/v1 helpers: ResourceMatches, NonResourceURLMatches. */
function ruleAllows(rule: AccessRule, a: AccessAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (a.path !== undefined) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.apiGroup ?? '')) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
  const resources = rule.resources ?? [];
  const resourceOk = resources.some((r) => r === '*' || r === combined || (a.subresource !== undefined && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  return !rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name));
}

function subjectMatches(subject: AccessSubject, a: AccessAttributes): boolean {
  if (subject.kind === 'User') return subject.name === a.user;
  if (subject.kind === 'Group') return a.groups.includes(subject.name);
  return a.user === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`;
}

export function createAccessRules(): AccessRules {
  const grants: { subject: AccessSubject; rules: AccessRule[]; namespace?: string }[] = [];
  return {
    grant(subject, rules, namespace) {
      grants.push({ subject, rules, ...(namespace !== undefined ? { namespace } : {}) });
    },
    allows(a) {
      if (a.groups.includes(MASTERS)) return true;
      if (a.groups.includes(AUTHENTICATED) && AUTHENTICATED_DEFAULTS.some((r) => ruleAllows(r, a))) return true;
      return grants.some((g) => (g.namespace === undefined || (a.path === undefined && g.namespace === a.namespace)) && subjectMatches(g.subject, a) && g.rules.some((r) => ruleAllows(r, a)));
    },
  };
}

/** The attributes of a request as the authorization filter builds them from its RequestInfo. */
export function requestAttributes(who: { user: string; groups: readonly string[] }, info: RequestInfo, path: string): AccessAttributes {
  if (!info.isResourceRequest) return { user: who.user, groups: who.groups, verb: info.verb, path };
  return {
    user: who.user,
    groups: who.groups,
    verb: info.verb,
    apiGroup: info.apiGroup,
    resource: info.resource,
    ...(info.subresource ? { subresource: info.subresource } : {}),
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(info.name ? { name: info.name } : {}),
  };
}

/** responsewriters.Forbidden: what the authorization filter answers a refused request. */
export function accessForbidden(a: AccessAttributes): Status {
  const user = JSON.stringify(a.user);
  if (a.path !== undefined) {
    const status = failureStatus(403, 'Forbidden', `forbidden: User ${user} cannot ${a.verb} path ${JSON.stringify(a.path)}`);
    status.details = {};
    return status;
  }
  const group = a.apiGroup ?? '';
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  const named = a.name ? ` ${JSON.stringify(a.name)}` : '';
  const message = `${qualifiedResource(a.resource ?? '', group)}${named} is forbidden: User ${user} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(group)} ${scope}`;
  return failureStatus(403, 'Forbidden', message, { ...(a.name ? { name: a.name } : {}), ...(group ? { group } : {}), kind: a.resource ?? '' });
}
