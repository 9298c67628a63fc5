/**
 * What the apiserver's defaulting and strategies (pkg/apis/core/v1/defaults.go, pkg/registry/core/*
 * /strategy.go) and the controllers that would run in a real cluster add to an object, reduced to what
 * clients read: namespaces are Active with the `kubernetes.io/metadata.name` label, secrets default to
 * `Opaque` with `stringData` folded into `data`, pods are scheduled and Running at once (an instant
 * scheduler and kubelet), deployments are fully rolled out (an instant deployment controller).
 */
import type { KubeObject } from './kube-object.js';
import { formatTime } from './encoding.js';

type Obj = Record<string, unknown>;

function record(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function defaultNamespace(obj: KubeObject): void {
  obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  obj['spec'] = { finalizers: ['kubernetes'], ...record(obj['spec']) };
  obj['status'] = { phase: 'Active', ...record(obj['status']) };
}

function defaultSecret(obj: KubeObject): void {
  const stringData = record(obj['stringData']);
  if (Object.keys(stringData).length > 0) {
    const data = { ...record(obj['data']) };
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    obj['data'] = data;
  }
  delete obj['stringData'];
  if (obj['type'] === undefined || obj['type'] === '') obj['type'] = 'Opaque';
}

/** A stable pseudo-address from a name, so the same pod always gets the same IP. */
function addressFor(name: string, base: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `${base}.${(h >>> 8) % 250 + 1}.${h % 250 + 2}`;
}

function defaultPod(obj: KubeObject, now: number): void {
  const spec = { ...record(obj['spec']) };
  const containers = Array.isArray(spec['containers']) ? (spec['containers'] as Obj[]) : [];
  spec['containers'] = containers.map((c) => ({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    resources: {},
    ...c,
  }));
  const nodeName = typeof spec['nodeName'] === 'string' && spec['nodeName'] ? spec['nodeName'] : 'node-0';
  Object.assign(spec, {
    restartPolicy: spec['restartPolicy'] ?? 'Always',
    terminationGracePeriodSeconds: spec['terminationGracePeriodSeconds'] ?? 30,
    dnsPolicy: spec['dnsPolicy'] ?? 'ClusterFirst',
    serviceAccountName: spec['serviceAccountName'] ?? 'default',
    schedulerName: spec['schedulerName'] ?? 'default-scheduler',
    nodeName,
  });
  obj['spec'] = spec;
  if (obj['status'] !== undefined && record(obj['status'])['phase']) return;
  const started = formatTime(now);
  const conditionTypes = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  obj['status'] = {
    phase: 'Running',
    conditions: conditionTypes.map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started })),
    hostIP: addressFor(nodeName, '172.18'),
    podIP: addressFor(`${obj.metadata.namespace}/${obj.metadata.name}`, '10.244'),
    startTime: started,
    containerStatuses: (spec['containers'] as Obj[]).map((c) => ({
      name: c['name'],
      state: { running: { startedAt: started } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c['image'],
      imageID: `${String(c['image'])}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${Buffer.from(`${obj.metadata.uid}/${String(c['name'])}`).toString('hex').slice(0, 64)}`,
      started: true,
    })),
    qosClass: 'BestEffort',
  };
}

/** The instant deployment controller: the rollout is complete for the current generation. */
function reconcileDeployment(obj: KubeObject, now: number): void {
  const spec: Obj = { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, ...record(obj['spec']) };
  if (!spec['strategy']) spec['strategy'] = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  obj['spec'] = spec;
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
  const current = record(obj['status']);
  if (current['observedGeneration'] === (obj.metadata.generation ?? 1) && current['replicas'] === replicas) return;
  const at = formatTime(now);
  obj['status'] = {
    observedGeneration: obj.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
      { type: 'Progressing', status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${obj.metadata.name}-5d4f8c7b9" has successfully progressed.` },
    ],
  };
}

/** Applies defaults and the simulated controllers to a new or updated object (mutates it). */
export function applyDefaults(kind: string, obj: KubeObject, now: number): void {
  switch (kind) {
    case 'Namespace': return defaultNamespace(obj);
    case 'Secret': return defaultSecret(obj);
    case 'Pod': return defaultPod(obj, now);
    case 'Deployment': return reconcileDeployment(obj, now);
    default: return undefined;
  }
}

/** Kinds whose metadata.generation the apiserver maintains (spec changes bump it). */
export function hasGeneration(kind: string): boolean {
  return kind === 'Deployment';
}
