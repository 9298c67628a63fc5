/**
 * RBAC as the apiserver would apply it to the gateway: the rules of every ClusterRole/Role bound to its
 * ServiceAccount, flattened to `verb group/resource` and `verb nonResourceURL` grants; and the grants the
 * configuration needs, derived from what the code does with the gateway's own identity:
 * - a TokenReview per bearer-token caller (authentication.tokenReview.enabled);
 * - the apiserver's /metrics: the census's object counts (estimator.census.sources has `metrics`) and
 *   the adaptive budget's memory reading (admission.adaptive.enabled);
 * - the adaptive budget's garbage collections (admission.adaptive.enabled with collect, on by default):
 *   the apiserver's heap profile, /debug/pprof/heap (src/admit/adaptive-budget.ts);
 * - admission.streamingLists auto: a streaming list (a watch) of the namespace listgate-streaming-probe,
 *   selected by name (src/admit/streaming-probe.ts);
 * - authorization.enabled with admission.enabled: a SubjectAccessReview as the caller before a request
 *   weighs on the budget (src/gateway/authorize-step.ts), and for a caller's own --as then;
 * - impersonate mode: impersonation of users, groups, service accounts, uids and the extra attributes it
 *   forwards (src/auth/impersonation-request.ts), and a SubjectAccessReview for a caller's own --as;
 * - webhook.enabled: the CA ConfigMap of routed namespaces, created, read, rewritten and listed by its
 *   name (src/webhook/configmap-api.ts).
 */
import type { KubeObject } from './kustomize.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}
interface Binding {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** Grants to the ServiceAccount `namespace/name`, and the rules they come from. */
export function grantsTo(objects: readonly KubeObject[], namespace: string, name: string): { grants: Set<string>; rules: Rule[] } {
  const grants = new Set<string>();
  const rules: Rule[] = [];
  for (const binding of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as unknown as (KubeObject & Binding)[]) {
    const bound = (binding.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === name && (s.namespace ?? binding.metadata.namespace) === namespace);
    if (!bound) continue;
    const role = objects.find((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name) as (KubeObject & { rules?: Rule[] }) | undefined;
    if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to ${binding.roleRef.kind} ${binding.roleRef.name}, which is not rendered`);
    for (const rule of role.rules ?? []) {
      rules.push(rule);
      for (const verb of rule.verbs) {
        for (const url of rule.nonResourceURLs ?? []) grants.add(`${verb} ${url}`);
        for (const group of rule.apiGroups ?? []) {
          for (const resource of rule.resources ?? []) {
            const target = `${verb} ${group || 'core'}/${resource}`;
            if (rule.resourceNames?.length) for (const n of rule.resourceNames) grants.add(`${target}[${n}]`);
            else grants.add(target);
          }
        }
      }
    }
  }
  return { grants, rules };
}

/** The userextras keys kube-apiserver sets for service-account tokens, which impersonate mode forwards. */
export const SERVICE_ACCOUNT_EXTRAS = [
  'authentication.kubernetes.io/credential-id',
  'authentication.kubernetes.io/node-name',
  'authentication.kubernetes.io/node-uid',
  'authentication.kubernetes.io/pod-name',
  'authentication.kubernetes.io/pod-uid',
];

export interface GatewayConfig {
  authentication?: { tokenReview?: { enabled?: boolean } };
  identity: { mode: string };
  estimator?: { census?: { sources?: string[] } };
  admission?: { enabled?: boolean; streamingLists?: string; adaptive?: { enabled?: boolean; collect?: boolean } };
  authorization?: { enabled?: boolean };
  webhook?: { enabled?: boolean; caConfigMap?: { name?: string } };
}

export function neededGrants(config: GatewayConfig): Set<string> {
  const needed = new Set<string>();
  if (config.authentication?.tokenReview?.enabled !== false) needed.add('create authentication.k8s.io/tokenreviews');
  const sources = config.estimator?.census?.sources ?? ['metrics', 'probe', 'response'];
  if (sources.includes('metrics') || config.admission?.adaptive?.enabled === true) needed.add('get /metrics');
  if (config.admission?.adaptive?.enabled === true && config.admission.adaptive.collect !== false) needed.add('get /debug/pprof/heap');
  if ((config.admission?.streamingLists ?? 'auto') === 'auto') needed.add('watch core/namespaces[listgate-streaming-probe]');
  if (config.authorization?.enabled !== false && config.admission?.enabled !== false) needed.add('create authorization.k8s.io/subjectaccessreviews');
  if (sources.includes('probe')) throw new Error('estimator.census.sources has probe: the gateway would need list on every resource it probes, Secrets included');
  if (config.identity.mode === 'impersonate') {
    for (const r of ['users', 'groups', 'serviceaccounts']) needed.add(`impersonate core/${r}`);
    needed.add('impersonate authentication.k8s.io/uids');
    for (const key of SERVICE_ACCOUNT_EXTRAS) needed.add(`impersonate authentication.k8s.io/userextras/${key}`);
    needed.add('create authorization.k8s.io/subjectaccessreviews');
  }
  if (config.webhook?.enabled === true) {
    const name = config.webhook.caConfigMap?.name ?? 'listgate-gateway-ca';
    needed.add('create core/configmaps');
    for (const verb of ['get', 'list', 'update']) needed.add(`${verb} core/configmaps[${name}]`);
  }
  if (config.identity.mode === 'insecure') throw new Error('identity.mode insecure is for development only: every request would run as the gateway');
  return needed;
}
