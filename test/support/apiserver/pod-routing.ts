/**
 * The pod-routing webhook on a real kube-apiserver, installed from deploy/ as far as a loopback cluster
 * allows: the gateway's own identity is a user bound to exactly the rules of deploy/base/rbac.yaml,
 * components/pod-routing/rbac.yaml (and components/identity-impersonate/rbac.yaml in impersonate mode);
 * the MutatingWebhookConfiguration is components/pod-routing/mutating-webhook.yaml with a URL on
 * loopback and the gateway's CA instead of the in-cluster Service, and one more namespace label so that
 * gateways of several modes can share an apiserver. Plus the pods and namespaces tests create.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../../deploy/support/kustomize.js';
import { createNamespace, grant, type PolicyRule } from './cluster-objects.js';
import { startGatewayOnApiserver, type GatewayIdentityMode, type GatewayOnApiserver } from './gateway-on-apiserver.js';
import type { KubeApiserver } from './kube-apiserver.js';

/** The namespace label that picks which test gateway's webhook routes a namespace. */
export const GATEWAY_LABEL = 'listgate-test/gateway';

export type Pod = {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    serviceAccountName?: string;
    initContainers?: Container[];
    containers: Container[];
    ephemeralContainers?: Container[];
    volumes?: { name: string; projected?: { sources: ProjectedSource[] } }[];
  };
};
export type Container = { name: string; image: string; env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string }[] };
export type ProjectedSource = {
  serviceAccountToken?: { path: string; expirationSeconds?: number; audience?: string };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  downwardAPI?: { items: { path: string; fieldRef?: { fieldPath: string } }[] };
};

type Cluster = Pick<KubeApiserver, 'request'>;

/** The rules of every ClusterRole in these deploy/ files. */
export function deployRules(...files: string[]): PolicyRule[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(REPO, 'deploy', file), 'utf8'))
      .map((doc) => doc.toJSON() as { kind: string; rules?: PolicyRule[] })
      .filter((o) => o.kind === 'ClusterRole')
      .flatMap((o) => o.rules ?? []),
  );
}

async function must(kube: Cluster, path: string, opts: Parameters<Cluster['request']>[1]): Promise<unknown> {
  const res = await kube.request(path, opts);
  if (res.status >= 300) throw new Error(`${opts?.method ?? 'GET'} ${path}: ${res.status} ${res.text.slice(0, 400)}`);
  return res.json;
}

/** RBAC's authorizer reads bindings through informers: asks until `user` may create ConfigMaps. */
async function untilAllowed(kube: Cluster, user: string): Promise<void> {
  const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, resourceAttributes: { verb: 'create', resource: 'configmaps', namespace: 'default' } } };
  for (let attempt = 0; attempt < 500; attempt++) {
    const res = await kube.request('/apis/authorization.k8s.io/v1/subjectaccessreviews', { method: 'POST', body: review });
    if ((res.json as { status?: { allowed?: boolean } } | undefined)?.status?.allowed) return;
  }
  throw new Error(`the grants to ${user} did not take effect`);
}

/** A namespace whose pods this mode's gateway routes (or, with `route: false`, no gateway does). */
export async function createRoutedNamespace(kube: Cluster, name: string, mode: GatewayIdentityMode | undefined): Promise<void> {
  await createNamespace(kube, name, mode ? { 'listgate.io/route': 'true', [GATEWAY_LABEL]: mode } : {});
  // Without kube-controller-manager no ServiceAccount is made for a namespace; the ServiceAccount
  // admission plugin refuses pods whose account does not exist.
  for (const account of ['default', 'app']) {
    await kube.request(`/api/v1/namespaces/${name}/serviceaccounts`, { method: 'POST', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account } } });
  }
}

/** Creates a pod (or, with dryRun, only admits it) and returns it as stored. */
export async function createPod(kube: Cluster, namespace: string, pod: Omit<Pod, 'metadata'> & { metadata: Partial<Pod['metadata']> & { name: string } }, opts: { dryRun?: boolean } = {}): Promise<Pod> {
  const body = { apiVersion: 'v1', kind: 'Pod', ...pod, metadata: { ...pod.metadata, namespace } };
  return (await must(kube, `/api/v1/namespaces/${namespace}/pods${opts.dryRun ? '?dryRun=All' : ''}`, { method: 'POST', body })) as Pod;
}

export async function readPod(kube: Cluster, namespace: string, name: string): Promise<Pod> {
  return (await must(kube, `/api/v1/namespaces/${namespace}/pods/${name}`, {})) as Pod;
}

/** Adds an ephemeral container as `kubectl debug` does (an update of the pods/ephemeralcontainers subresource). */
export async function addEphemeralContainer(kube: Cluster, namespace: string, name: string, container: Container): Promise<Pod> {
  const pod = await readPod(kube, namespace, name);
  pod.spec.ephemeralContainers = [...(pod.spec.ephemeralContainers ?? []), container];
  return (await must(kube, `/api/v1/namespaces/${namespace}/pods/${name}/ephemeralcontainers`, { method: 'PUT', body: pod })) as Pod;
}

/** The shipped MutatingWebhookConfiguration, calling `url` and trusting `caPem`, for namespaces labelled for `mode`. */
export function webhookConfiguration(opts: { name: string; url: string; caPem: string; mode: GatewayIdentityMode }): Record<string, unknown> {
  const shipped = parseAllDocuments(readFileSync(join(REPO, 'deploy/components/pod-routing/mutating-webhook.yaml'), 'utf8'))[0]!.toJSON() as {
    metadata: Record<string, unknown>;
    webhooks: { clientConfig: unknown; namespaceSelector: { matchLabels: Record<string, string> } }[];
  };
  shipped.metadata.name = opts.name;
  for (const hook of shipped.webhooks) {
    hook.clientConfig = { url: opts.url, caBundle: Buffer.from(opts.caPem).toString('base64') };
    hook.namespaceSelector.matchLabels[GATEWAY_LABEL] = opts.mode;
  }
  return shipped;
}

export interface RoutingGateway {
  gw: GatewayOnApiserver;
  mode: GatewayIdentityMode;
  /** The gateway's own user upstream, bound to the deploy/ rules. */
  user: string;
}

/**
 * A gateway of `mode` with the webhook, its RBAC from deploy/, and its MutatingWebhookConfiguration
 * registered; resolves once the apiserver calls the webhook (a dry-run pod comes back routed).
 */
export async function startRoutingGateway(kube: KubeApiserver, mode: GatewayIdentityMode): Promise<RoutingGateway> {
  const user = `listgate-${mode.toLowerCase()}`;
  const files = ['base/rbac.yaml', 'components/pod-routing/rbac.yaml', ...(mode === 'impersonate' ? ['components/identity-impersonate/rbac.yaml'] : [])];
  await grant(kube, { kind: 'User', name: user }, deployRules(...files));
  await untilAllowed(kube, user);
  const gw = await startGatewayOnApiserver(kube, { mode, webhook: true, gatewayIdentity: { name: user, groups: [] }, logLevel: 'info' });
  const name = `listgate-pod-routing-${mode.toLowerCase()}`;
  await must(kube, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { method: 'POST', body: webhookConfiguration({ name, url: gw.webhookUrl!, caPem: gw.servingCa.certPem, mode }) });
  // The apiserver picks the configuration up through an informer: admit dry-run pods until one is routed.
  const probe = `webhook-ready-${mode.toLowerCase()}`;
  await createRoutedNamespace(kube, probe, mode);
  for (let attempt = 0; attempt < 500; attempt++) {
    const pod = await createPod(kube, probe, { metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, { dryRun: true });
    if (pod.metadata.labels?.['listgate.io/routed'] === 'true') return { gw, mode, user };
  }
  throw new Error(`the apiserver did not call the ${mode} gateway's webhook`);
}
