/**
 * The events a freshly started pod leaves (the scheduler's Scheduled, the kubelet's Pulled, Created and
 * Started), so `kubectl get events`, `kubectl events` and `kubectl describe pod` have something to show.
 * Core v1 events and events.k8s.io/v1 events are one storage in kube-apiserver, converted on the way out
 * (pkg/apis/events/v1 conversion: involvedObject ↔ regarding, message ↔ note, source ↔ deprecatedSource,
 * first/lastTimestamp ↔ deprecatedFirst/LastTimestamp, count ↔ deprecatedCount, reportingComponent ↔
 * reportingController); the simulator stores a converted copy of each seeded event for events.k8s.io, so
 * events written later through one API are not seen through the other.
 */
import type { KubeObject } from './kube-object.js';
import { formatTime } from './encoding.js';

type Obj = Record<string, unknown>;

export interface SeedEvent {
  metadata: KubeObject['metadata'];
  [key: string]: unknown;
}

/** The core v1 events of one running pod, `secondsApart` between them, ending at `now`. */
export function podStartEvents(pod: KubeObject, now: number): SeedEvent[] {
  const ns = pod.metadata.namespace ?? 'default';
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name?: string; image?: string }[] };
  const node = spec.nodeName ?? 'node-0';
  const container = spec.containers?.[0] ?? {};
  const subject = { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1' };
  const inContainer = { ...subject, fieldPath: `spec.containers{${container.name ?? 'main'}}` };
  const kubelet = { component: 'kubelet', host: node };
  const steps: [string, string, Obj, Obj][] = [
    ['Scheduled', `Successfully assigned ${ns}/${pod.metadata.name} to ${node}`, subject, { component: 'default-scheduler' }],
    ['Pulled', `Container image "${container.image ?? 'registry.k8s.io/pause:3.10'}" already present on machine`, inContainer, kubelet],
    ['Created', `Created container: ${container.name ?? 'main'}`, inContainer, kubelet],
    ['Started', `Started container ${container.name ?? 'main'}`, inContainer, kubelet],
  ];
  return steps.map(([reason, message, involvedObject, source], i) => {
    const at = formatTime(now - (steps.length - 1 - i) * 1000);
    const nanos = BigInt(now) * 1_000_000n + BigInt(i);
    return {
      metadata: { name: `${pod.metadata.name}.${nanos.toString(16)}`, namespace: ns } as KubeObject['metadata'],
      involvedObject,
      reason,
      message,
      source,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type: 'Normal',
      eventTime: null,
      reportingComponent: String(source['component']),
      reportingInstance: source['host'] !== undefined ? String(source['host']) : '',
    };
  });
}

/** A core v1 event as events.k8s.io/v1 shows it. */
export function toEventsV1(core: SeedEvent): SeedEvent {
  return {
    metadata: core.metadata,
    eventTime: core['eventTime'] ?? null,
    reportingController: core['reportingComponent'],
    reportingInstance: core['reportingInstance'],
    reason: core['reason'],
    regarding: core['involvedObject'],
    note: core['message'],
    type: core['type'],
    deprecatedSource: core['source'],
    deprecatedFirstTimestamp: core['firstTimestamp'],
    deprecatedLastTimestamp: core['lastTimestamp'],
    deprecatedCount: core['count'],
  };
}
