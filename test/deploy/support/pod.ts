/** Typed views of the rendered workload, its pod and its gateway container, for the invariant tests. */
import type { KubeObject } from './kustomize.js';

export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  terminationGracePeriodSeconds: number;
  nodeSelector?: Record<string, string>;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string }; emptyDir?: object }[];
}
export interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    strategy?: { rollingUpdate?: { maxUnavailable?: number | string } };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}

export function workloadOf(objects: readonly KubeObject[]): Workload {
  const found = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  if (found.length !== 1) throw new Error(`expected one workload, found ${found.length}`);
  return found[0] as Workload;
}

export function gatewayContainer(workload: Workload): Container {
  const container = workload.spec.template.spec.containers.find((c) => c.name === 'listgate');
  if (!container) throw new Error('no container named listgate');
  return container;
}

export function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v) && Object.keys(selector).length > 0;
}

/** Kubernetes quantities of CPU (cores) and memory (bytes) as numbers. */
export function quantity(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(value);
  if (!m) throw new Error(`not a quantity: ${value}`);
  const scale: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? scale[m[2]]! : 1);
}
