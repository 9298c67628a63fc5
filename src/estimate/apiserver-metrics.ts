/**
 * The apiserver's own census in its /metrics (k8s.io/apiserver/pkg/storage/etcd3/metrics):
 * - `apiserver_resource_objects{group,resource}` (1.34+) and the older, deprecated
 *   `apiserver_storage_objects{resource="deployments.apps"}`: objects stored per group/resource;
 * - `apiserver_resource_size_estimate_bytes{group,resource}`: the sum of the last observed sizes of the
 *   serialized objects in etcd, i.e. in the storage encoding (protobuf for built-in types, JSON for
 *   custom resources).
 * A value of -1 means the apiserver failed to fetch it: such samples are ignored.
 */
import type { Encoding } from '../k8s/media-type.js';
import type { MetricSample } from './prometheus-text.js';
import type { SizeSeed } from './size-model.js';

export interface ResourceCount {
  group: string;
  resource: string;
  count: number;
}

export interface StorageSize {
  group: string;
  resource: string;
  objects: number;
  /** Total bytes in the storage encoding. */
  bytes: number;
}

const grKey = (group: string, resource: string) => `${group}/${resource}`;

const STORAGE_METRICS = new Set(['apiserver_resource_objects', 'apiserver_storage_objects', 'apiserver_resource_size_estimate_bytes']);
/** Whether readStorageMetrics reads the metric (a filter for parseMetricsText). */
export const isStorageMetric = (name: string): boolean => STORAGE_METRICS.has(name);

/** `deployments.apps` → apps/deployments; `secrets` → core. Resource names never contain a dot. */
export function splitStorageResource(label: string): { group: string; resource: string } {
  const dot = label.indexOf('.');
  return dot === -1 ? { group: '', resource: label } : { group: label.slice(dot + 1), resource: label.slice(0, dot) };
}

export function readStorageMetrics(samples: readonly MetricSample[]): { counts: ResourceCount[]; sizes: StorageSize[] } {
  const resourceObjects = new Map<string, ResourceCount>();
  const storageObjects = new Map<string, ResourceCount>();
  const sizeBytes = new Map<string, { group: string; resource: string; bytes: number }>();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    if (s.name === 'apiserver_resource_objects' && s.labels.resource) {
      const group = s.labels.group ?? '';
      resourceObjects.set(grKey(group, s.labels.resource), { group, resource: s.labels.resource, count: s.value });
    } else if (s.name === 'apiserver_storage_objects' && s.labels.resource) {
      const gr = splitStorageResource(s.labels.resource);
      storageObjects.set(grKey(gr.group, gr.resource), { ...gr, count: s.value });
    } else if (s.name === 'apiserver_resource_size_estimate_bytes' && s.labels.resource) {
      const group = s.labels.group ?? '';
      sizeBytes.set(grKey(group, s.labels.resource), { group, resource: s.labels.resource, bytes: s.value });
    }
  }
  // The newer metric wins where both are present.
  const counts = new Map([...storageObjects, ...resourceObjects]);
  const sizes: StorageSize[] = [];
  for (const [k, s] of sizeBytes) {
    const objects = counts.get(k)?.count ?? 0;
    if (objects > 0 && s.bytes > 0) sizes.push({ ...s, objects });
  }
  return { counts: [...counts.values()], sizes };
}

/** Built-in API groups are stored as protobuf; custom resources as JSON. Errs towards protobuf (larger JSON). */
export function storageEncodingOf(group: string): 'protobuf' | 'json' {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io') ? 'protobuf' : 'json';
}

/** Average JSON-equivalent object sizes from the size metric, as seeds for the size model. */
export function storageSizeSeeds(
  sizes: readonly StorageSize[],
  opts: { encodingRatio: Readonly<Record<Encoding, number>>; storageEncoding?: 'auto' | 'json' | 'protobuf' },
): SizeSeed[] {
  return sizes.map((s) => {
    const enc = !opts.storageEncoding || opts.storageEncoding === 'auto' ? storageEncodingOf(s.group) : opts.storageEncoding;
    return { group: s.group, resource: s.resource, bytes: s.bytes / s.objects / (opts.encodingRatio[enc] || 1), source: 'metrics' };
  });
}
