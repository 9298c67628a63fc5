/**
 * What tests put into a real cluster, through its API as the admin: namespaces, RBAC grants for users,
 * groups and service accounts, service-account tokens (the TokenRequest API, as `kubectl create token`),
 * and Secrets in bulk (a keep-alive pool, a few at a time).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { KubeApiserver } from './kube-apiserver.js';

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** ServiceAccount subjects only. */
  namespace?: string;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

type Cluster = Pick<KubeApiserver, 'request'>;

async function create(kube: Cluster, path: string, body: unknown): Promise<unknown> {
  const res = await kube.request(path, { method: 'POST', body });
  if (res.status !== 201 && res.status !== 200 && res.status !== 409) throw new Error(`POST ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

export async function createNamespace(kube: Cluster, name: string, labels: Record<string, string> = {}): Promise<void> {
  await create(kube, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

let grants = 0;

/**
 * A Role and RoleBinding in `namespace`, or a ClusterRole and ClusterRoleBinding without one, giving the
 * subject exactly `rules`. Returns the binding's name.
 */
export async function grant(kube: Cluster, subject: Subject, rules: PolicyRule[], namespace?: string): Promise<string> {
  const name = `test-grant-${++grants}-${subject.name.replace(/[^a-z0-9-]/g, '-')}`.slice(0, 60);
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const ref = { apiGroup: 'rbac.authorization.k8s.io', kind: namespace ? 'Role' : 'ClusterRole', name };
  const subjects = [subject.kind === 'ServiceAccount' ? { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace } : { kind: subject.kind, apiGroup: 'rbac.authorization.k8s.io', name: subject.name }];
  if (namespace) {
    await create(kube, `${rbac}/namespaces/${namespace}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules });
    await create(kube, `${rbac}/namespaces/${namespace}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace }, roleRef: ref, subjects });
  } else {
    await create(kube, `${rbac}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
    await create(kube, `${rbac}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: ref, subjects });
  }
  return name;
}

/** Creates the service account if needed and returns a bound token for it (TokenRequest). */
export async function serviceAccountToken(kube: Cluster, namespace: string, name: string, opts: { expirationSeconds?: number; audiences?: string[] } = {}): Promise<string> {
  await create(kube, `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  const res = await kube.request(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    method: 'POST',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: opts.expirationSeconds ?? 3600, ...(opts.audiences ? { audiences: opts.audiences } : {}) } },
  });
  const token = (res.json as { status?: { token?: string } } | undefined)?.status?.token;
  if (res.status !== 201 || !token) throw new Error(`TokenRequest for ${namespace}/${name}: ${res.status} ${res.text.slice(0, 300)}`);
  return token;
}

export interface SecretSeed {
  namespace: string;
  count: number;
  /** Bytes of random data per Secret (its JSON is ~4/3 of that: base64). */
  dataBytes: number;
  prefix?: string;
  /** Requests in flight at once. */
  concurrency?: number;
}

/** Creates `count` Secrets of `dataBytes` random bytes each; resolves when all are stored. */
export async function seedSecrets(kube: Pick<KubeApiserver, 'port' | 'caPem' | 'admin'>, seed: SecretSeed): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: seed.concurrency ?? 4, ca: kube.caPem, cert: kube.admin.certPem, key: kube.admin.keyPem });
  const post = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${seed.prefix ?? 'blob'}-${i}`, namespace: seed.namespace },
        data: { blob: randomBytes(seed.dataBytes).toString('base64') },
      });
      const req = request(
        { host: '127.0.0.1', port: kube.port, method: 'POST', path: `/api/v1/namespaces/${seed.namespace}/secrets`, agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 201 || res.statusCode === 409 ? resolve() : reject(new Error(`creating secret ${i}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const next = { i: 0 };
  try {
    await Promise.all(
      Array.from({ length: seed.concurrency ?? 4 }, async () => {
        while (next.i < seed.count) await post(next.i++);
      }),
    );
  } finally {
    agent.destroy();
  }
}
