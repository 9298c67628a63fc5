/**
 * What routing a pod through the gateway changes, as an RFC 6902 JSON Patch of the pod. Pure.
 *
 * A pod is routed when in-cluster configuration inside it would otherwise reach the apiserver:
 * - every container (init containers too) gets KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and
 *   KUBERNETES_SERVICE_PORT_HTTPS pointing at the gateway, declared first so `$(VAR)` references in the
 *   container's own variables see them (declared variables win over the ones the kubelet adds);
 * - the service-account volume (a projected volume with a serviceAccountToken source, as the ServiceAccount
 *   admission plugin adds it as `kube-api-access-*`) reads ca.crt from the ConfigMap listgate keeps in the
 *   namespace instead of kube-root-ca.crt, so the client trusts the gateway's serving certificate;
 * - the pod is labelled `listgate.io/routed: "true"`.
 * It is left alone when its namespace is excluded, when it opts out (annotation or label
 * `listgate.io/route: "false"`), when a container already declares one of those variables itself, when it
 * has no service-account volume (`automountServiceAccountToken: false`: no token, no in-cluster client),
 * and when it runs on the host network without cluster DNS while the gateway is a DNS name.
 * An already routed pod (the label) gets only what a later mutation left out — a container another
 * webhook added — so routing twice gives the same pod, and an unchanged pod gets an empty patch.
 * Ephemeral containers are added to a running pod (the pods/ephemeralcontainers subresource); a routed
 * pod's new ones get the variables too. Only the new ones: the apiserver refuses a change to an ephemeral
 * container that already exists, so one added while the webhook was unreachable stays as it is.
 */
import { isIP } from 'node:net';
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import type { Operation } from 'fast-json-patch';

export const ROUTE_KEY = 'listgate.io/route';
export const ROUTED_LABEL = 'listgate.io/routed';
export const SERVICE_ENV = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBERNETES_SERVICE_PORT_HTTPS'] as const;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

export interface RoutingTarget {
  readonly host: string;
  readonly port: number;
  /** The ConfigMap (key ca.crt) with the CA bundle routed pods trust. */
  readonly caConfigMap: string;
  readonly excludedNamespaces: readonly string[];
}

export type SkipReason = 'excluded-namespace' | 'opted-out' | 'sets-own-environment' | 'no-service-account-volume' | 'host-network' | 'not-routed' | 'no-old-object';

export type RoutingDecision =
  /** `routed`: the pod is routed by this patch; `amended`: it was routed already and the patch completes it. */
  | { readonly outcome: 'routed' | 'amended'; readonly patch: Operation[] }
  | { readonly outcome: 'unchanged' }
  | { readonly outcome: 'skipped'; readonly reason: SkipReason };

type ContainerList = 'initContainers' | 'containers' | 'ephemeralContainers';

/** RFC 6901: `~` and `/` inside a reference token. */
const token = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const declaresServiceEnv = (c: { env?: V1EnvVar[] }) => (c.env ?? []).some((e) => (SERVICE_ENV as readonly string[]).includes(e.name));

function serviceEnv(target: RoutingTarget): V1EnvVar[] {
  const port = String(target.port);
  return [
    { name: 'KUBERNETES_SERVICE_HOST', value: target.host },
    { name: 'KUBERNETES_SERVICE_PORT', value: port },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: port },
  ];
}

/** Ops that give every container of `list` lacking them (and not named in `keep`) the variables, first in its env. */
function envOps(pod: V1Pod, list: ContainerList, target: RoutingTarget, keep: ReadonlySet<string> = new Set()): Operation[] {
  const containers = (pod.spec?.[list] ?? []) as { name?: string; env?: V1EnvVar[] }[];
  const ops: Operation[] = [];
  containers.forEach((container, i) => {
    if (declaresServiceEnv(container) || keep.has(container.name ?? '')) return;
    const base = `/spec/${list}/${i}/env`;
    const vars = serviceEnv(target);
    if (!Array.isArray(container.env)) ops.push({ op: 'add', path: base, value: vars });
    else vars.forEach((v, at) => ops.push({ op: 'add', path: `${base}/${at}`, value: v }));
  });
  return ops;
}

/** The service-account volumes: [volume index, the index of the CA source (undefined: already ours)]. */
function serviceAccountVolumes(pod: V1Pod, target: RoutingTarget): [number, number | undefined][] {
  const found: [number, number | undefined][] = [];
  (pod.spec?.volumes ?? []).forEach((volume, v) => {
    const sources = volume.projected?.sources ?? [];
    if (!sources.some((s) => s.serviceAccountToken)) return;
    const root = sources.findIndex((s) => s.configMap?.name === ROOT_CA_CONFIGMAP);
    if (root >= 0) found.push([v, root]);
    else if (sources.some((s) => s.configMap?.name === target.caConfigMap)) found.push([v, undefined]);
  });
  return found;
}

const hasRouteFalse = (record: Record<string, string> | undefined) => record?.[ROUTE_KEY] === 'false';
const optsOut = (pod: V1Pod) => hasRouteFalse(pod.metadata?.annotations) || hasRouteFalse(pod.metadata?.labels);

export function routePod(pod: V1Pod, namespace: string, target: RoutingTarget): RoutingDecision {
  if (target.excludedNamespaces.includes(namespace)) return { outcome: 'skipped', reason: 'excluded-namespace' };
  const meta = pod.metadata ?? {};
  if (optsOut(pod)) return { outcome: 'skipped', reason: 'opted-out' };
  const routed = meta.labels?.[ROUTED_LABEL] === 'true';
  const spec = pod.spec;
  const all: V1Container[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  if (!routed && all.some(declaresServiceEnv)) return { outcome: 'skipped', reason: 'sets-own-environment' };
  const volumes = serviceAccountVolumes(pod, target);
  if (volumes.length === 0) return { outcome: 'skipped', reason: 'no-service-account-volume' };
  if (spec?.hostNetwork === true && isIP(target.host) === 0 && spec.dnsPolicy !== 'ClusterFirstWithHostNet') {
    return { outcome: 'skipped', reason: 'host-network' };
  }

  const patch: Operation[] = [];
  if (!routed) {
    patch.push(meta.labels ? { op: 'add', path: `/metadata/labels/${token(ROUTED_LABEL)}`, value: 'true' } : { op: 'add', path: '/metadata/labels', value: { [ROUTED_LABEL]: 'true' } });
  }
  patch.push(...envOps(pod, 'initContainers', target), ...envOps(pod, 'containers', target));
  for (const [v, source] of volumes) {
    if (source !== undefined) patch.push({ op: 'replace', path: `/spec/volumes/${v}/projected/sources/${source}/configMap/name`, value: target.caConfigMap });
  }
  if (patch.length === 0) return { outcome: 'unchanged' };
  return { outcome: routed ? 'amended' : 'routed', patch };
}

/**
 * A pod getting ephemeral containers (pods/ephemeralcontainers), `old` as it was before: the ephemeral
 * containers of a routed pod that `old` lacks get the variables.
 */
export function routeEphemeralContainers(pod: V1Pod, old: V1Pod | undefined, target: RoutingTarget): RoutingDecision {
  if (pod.metadata?.labels?.[ROUTED_LABEL] !== 'true') return { outcome: 'skipped', reason: 'not-routed' };
  if (optsOut(pod)) return { outcome: 'skipped', reason: 'opted-out' };
  if (!old) return { outcome: 'skipped', reason: 'no-old-object' };
  const existing = new Set((old.spec?.ephemeralContainers ?? []).map((c) => c.name));
  const patch = envOps(pod, 'ephemeralContainers', target, existing);
  return patch.length === 0 ? { outcome: 'unchanged' } : { outcome: 'amended', patch };
}
