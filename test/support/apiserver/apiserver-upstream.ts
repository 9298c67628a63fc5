/**
 * A real kube-apiserver 1.32 with its etcd (kube-apiserver.ts) as a contract upstream
 * (test/contract/upstream.ts): users are client certificates of its CA, grants are RBAC objects, tokens
 * come from the TokenRequest API, compaction goes to etcd, and a user is refused by API Priority and
 * Fairness through a FlowSchema that sends it to a priority level with no seats and a Reject limit response.
 */
import type { ContractUpstream } from '../../contract/upstream.js';
import { grant, serviceAccountToken, type PolicyRule, type Subject } from './cluster-objects.js';
import { startKubeApiserver, type KubeApiserver, type KubeApiserverOptions } from './kube-apiserver.js';

const FLOWCONTROL = '/apis/flowcontrol.apiserver.k8s.io/v1';
const NO_SEATS = 'contract-no-seats';

async function create(kube: KubeApiserver, path: string, body: object): Promise<void> {
  const res = await kube.request(path, { method: 'POST', body });
  if (res.status !== 201 && res.status !== 409) throw new Error(`POST ${path}: ${res.status} ${res.text.slice(0, 300)}`);
}

/** A priority level that executes nothing: no seats of its own, none borrowed, and requests rejected at once. */
async function rejectUser(kube: KubeApiserver, user: string): Promise<void> {
  await create(kube, `${FLOWCONTROL}/prioritylevelconfigurations`, {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name: NO_SEATS },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 0, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: 'Reject' } } },
  });
  await create(kube, `${FLOWCONTROL}/flowschemas`, {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: `${NO_SEATS}-${user}` },
    spec: {
      priorityLevelConfiguration: { name: NO_SEATS },
      matchingPrecedence: 500,
      distinguisherMethod: { type: 'ByUser' },
      rules: [{
        subjects: [{ kind: 'User', user: { name: user } }],
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      }],
    },
  });
  // API Priority and Fairness reads its configuration through informers: a FlowSchema takes effect a
  // moment after it is stored. Waits until a request of the user (the admin impersonating it: APF sees
  // the impersonated user) is classified by it (the X-Kubernetes-PF-FlowSchema-UID response header).
  const schema = await kube.request(`${FLOWCONTROL}/flowschemas/${NO_SEATS}-${user}`);
  const uid = (schema.json as { metadata?: { uid?: string } } | undefined)?.metadata?.uid;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await kube.request('/version', { headers: { 'Impersonate-User': user } });
    if (uid !== undefined && res.headers['x-kubernetes-pf-flowschema-uid'] === uid) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the FlowSchema for ${user} did not take effect within 15 s`);
}

/**
 * RBAC's authorizer reads bindings through informers: a grant takes effect a moment after it is stored.
 * Asks SubjectAccessReviews for the first verb of the rule until it is allowed.
 */
async function untilGranted(kube: KubeApiserver, subject: Subject, rule: PolicyRule, namespace?: string): Promise<void> {
  const who = subject.kind === 'User' ? { user: subject.name } : subject.kind === 'Group' ? { groups: [subject.name] } : { user: `system:serviceaccount:${subject.namespace}:${subject.name}` };
  const attributes = rule.nonResourceURLs
    ? { nonResourceAttributes: { verb: rule.verbs[0], path: rule.nonResourceURLs[0] } }
    : { resourceAttributes: { verb: rule.verbs[0], group: rule.apiGroups?.[0] ?? '', resource: rule.resources?.[0], ...(namespace ? { namespace } : {}) } };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const res = await kube.request('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      method: 'POST',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { ...who, ...attributes } },
    });
    if ((res.json as { status?: { allowed?: boolean } } | undefined)?.status?.allowed) return;
  }
  throw new Error(`the grant to ${subject.kind} ${subject.name} did not take effect within 10 s`);
}

export interface ApiserverUpstream extends ContractUpstream {
  readonly kube: KubeApiserver;
}

export async function startApiserverUpstream(opts: KubeApiserverOptions & { streamingLists?: boolean } = {}): Promise<ApiserverUpstream> {
  const kube = await startKubeApiserver(opts);
  const users = new Map<string, ReturnType<KubeApiserver['pki']['issueUser']>>();
  return {
    kind: 'kube-apiserver',
    version: '1.32',
    streamingLists: opts.streamingLists ?? true,
    // Both need etcd's progress notifications (RequestWatchProgress).
    consistentListFromCache: opts.streamingLists ?? true,
    kube,
    port: kube.port,
    caPem: kube.caPem,
    admin: kube.admin,
    apiAudiences: ['https://kubernetes.default.svc'],
    async createUser(name, groups = []) {
      const key = `${name}\u0000${groups.join(',')}`;
      const pair = users.get(key) ?? kube.pki.issueUser(name, groups);
      users.set(key, pair);
      return pair;
    },
    async grant(subject: Subject, rules: PolicyRule[], namespace?: string) {
      await grant(kube, subject, rules, namespace);
      await untilGranted(kube, subject, rules[0]!, namespace);
    },
    serviceAccountToken: (namespace, name) => serviceAccountToken(kube, namespace, name),
    rejectRequestsOf: (user) => rejectUser(kube, user),
    async compact() {
      await kube.compact();
    },
    restart: () => kube.restart(),
    close: () => kube.stop(),
  };
}
