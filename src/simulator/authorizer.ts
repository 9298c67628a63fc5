/**
 * The simulator's authorizer. Without access rules every authenticated user may do everything (the
 * default, as the demo's users need); with `rules` (SimulatorOptions.access) it works like RBAC with
 * ClusterRoles bound to users and groups, optionally per namespace:
 * - system:masters may do everything (the apiserver's privileged-group short circuit);
 * - every authenticated user may create SelfSubjectReviews, SelfSubjectAccessReviews and
 *   SelfSubjectRulesReviews and GET the discovery, health, version and OpenAPI paths (the
 *   system:basic-user, system:discovery and system:public-info-viewer roles);
 * - anything else needs a rule whose subjects, verbs, API groups, resources (`pods/log` for a
 *   subresource) and namespaces match, `*` matching all.
 * `impersonate` is allowed to system:masters and the configured impersonators only. The same decisions
 * answer SubjectAccessReviews, SelfSubjectAccessReviews and SelfSubjectRulesReviews and guard requests.
 */
import { failureStatus, type Status } from '../k8s/status.js';
import type { Identity } from './authn.js';

export interface AccessRule {
  users?: string[];
  groups?: string[];
  verbs: string[];
  /** Default `['*']`. */
  apiGroups?: string[];
  resources: string[];
  /** Where the rule applies; absent = every namespace and the cluster scope (a ClusterRoleBinding). */
  namespaces?: string[];
}

/** authorizer.Attributes of a resource request, as a SubjectAccessReview's resourceAttributes carries them. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface Subject {
  user: string;
  groups: readonly string[];
}

export interface ResourceRuleInfo {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}

export interface SimulatorAuthorizer {
  mayImpersonate(who: Subject): boolean;
  authorizeResource(who: Subject, attrs: ResourceAttributes): { allowed: boolean; reason: string };
  authorizeNonResource(who: Subject, verb: string, path: string): { allowed: boolean; reason: string };
  /** status of a SubjectAccessReview for its spec. */
  review(spec: Record<string, unknown>): { allowed: boolean; reason?: string };
  /** What a SelfSubjectRulesReview lists for `who` in `namespace`. */
  rulesFor(who: Subject, namespace: string): { resourceRules: ResourceRuleInfo[]; nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[] };
}

const MASTERS = 'system:masters';
const SELF_RULES: ResourceRuleInfo[] = [
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
];
const PUBLIC_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];

const matches = (list: readonly string[] | undefined, value: string): boolean => (list ?? ['*']).some((x) => x === '*' || x === value);

function pathAllowed(patterns: readonly string[], path: string): boolean {
  return patterns.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

export function createSimulatorAuthorizer(opts: { impersonators?: readonly string[]; rules?: readonly AccessRule[] } = {}): SimulatorAuthorizer {
  const impersonators = new Set(opts.impersonators ?? []);
  const rules = opts.rules;
  const masters = (who: Subject): boolean => who.groups.includes(MASTERS);
  const mayImpersonate = (who: Subject): boolean => masters(who) || impersonators.has(who.user);
  const appliesTo = (rule: AccessRule, who: Subject): boolean =>
    (rule.users ?? []).includes(who.user) || (rule.groups ?? []).some((g) => who.groups.includes(g));

  const authorizeResource = (who: Subject, a: ResourceAttributes): { allowed: boolean; reason: string } => {
    if (masters(who)) return { allowed: true, reason: '' };
    if (a.verb === 'impersonate') {
      return mayImpersonate(who) ? { allowed: true, reason: 'the configured impersonators may impersonate' } : { allowed: false, reason: '' };
    }
    if (!rules) return { allowed: true, reason: 'the simulator authorizes every authenticated request' };
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    if (SELF_RULES.some((r) => r.verbs.includes(a.verb) && r.apiGroups.includes(a.group) && r.resources.includes(resource))) {
      return { allowed: true, reason: 'every authenticated user may review itself' };
    }
    const index = rules.findIndex((r) =>
      appliesTo(r, who) && matches(r.verbs, a.verb) && matches(r.apiGroups, a.group) && matches(r.resources, resource) &&
      (r.namespaces === undefined || (a.namespace !== undefined && a.namespace !== '' && r.namespaces.includes(a.namespace))));
    return index >= 0 ? { allowed: true, reason: `allowed by the simulator's access rule ${index}` } : { allowed: false, reason: '' };
  };

  const authorizeNonResource = (who: Subject, verb: string, path: string): { allowed: boolean; reason: string } => {
    if (masters(who) || !rules) return { allowed: true, reason: '' };
    return verb === 'get' && pathAllowed(PUBLIC_PATHS, path) ? { allowed: true, reason: 'discovery, health and version are public' } : { allowed: false, reason: '' };
  };

  return {
    mayImpersonate,
    authorizeResource,
    authorizeNonResource,
    review(spec) {
      const user = typeof spec['user'] === 'string' ? spec['user'] : '';
      const groups = Array.isArray(spec['groups']) ? spec['groups'].filter((g): g is string => typeof g === 'string') : [];
      const nonResource = spec['nonResourceAttributes'] as Record<string, unknown> | undefined;
      const decision = nonResource
        ? authorizeNonResource({ user, groups }, String(nonResource['verb'] ?? ''), String(nonResource['path'] ?? ''))
        : authorizeResource({ user, groups }, resourceAttributesOf(spec['resourceAttributes']));
      // The status's reason is omitempty: a refusal without one carries none.
      return decision.reason ? decision : { allowed: decision.allowed };
    },
    rulesFor(who, namespace) {
      if (masters(who) || !rules) {
        return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, ...SELF_RULES], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] };
      }
      const own = rules
        .filter((r) => appliesTo(r, who) && (r.namespaces === undefined || r.namespaces.includes(namespace)))
        .map((r) => ({ verbs: [...r.verbs], apiGroups: [...(r.apiGroups ?? ['*'])], resources: [...r.resources] }));
      return { resourceRules: [...own, ...SELF_RULES], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: [...PUBLIC_PATHS] }] };
    },
  };
}

/** A resourceAttributes object from a review's spec, with absent fields empty. */
export function resourceAttributesOf(value: unknown): ResourceAttributes {
  const a = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (k: string): string => (typeof a[k] === 'string' ? (a[k] as string) : '');
  return { verb: text('verb'), group: text('group'), resource: text('resource'), subresource: text('subresource'), namespace: text('namespace'), name: text('name') };
}

/** responsewriters.Forbidden / authorization's message for a refused resource request. */
export function forbidden(who: Subject, a: ResourceAttributes): Status {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  const message = `${subject} is forbidden: User ${JSON.stringify(who.user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${scope}`;
  return failureStatus(403, 'Forbidden', message, { ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource });
}

/** The refusal of an impersonation, for the first thing it asked for (the user). */
export function impersonationForbidden(requester: Identity, target: string): Status {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(target);
  const resource = sa ? 'serviceaccounts' : 'users';
  const name = sa ? sa[2]! : target;
  const scope = sa ? `in the namespace ${JSON.stringify(sa[1])}` : 'at the cluster scope';
  const message = `${resource} ${JSON.stringify(name)} is forbidden: User ${JSON.stringify(requester.user)} cannot impersonate resource ${JSON.stringify(resource)} in API group "" ${scope}`;
  return failureStatus(403, 'Forbidden', message, { name, kind: resource });
}
