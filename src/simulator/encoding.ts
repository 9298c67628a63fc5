/**
 * JSON encodings of stored objects, computed once per object version like the watch cache's serialization
 * cache (k8s.io/apiserver/pkg/storage/cacher/caching_object.go), so a LIST is a concatenation of cached
 * bytes. Items of a typed list carry no kind/apiVersion (only the list does), while a GET or a watch event
 * carries them first, as the Go encoder writes TypeMeta.
 */
import type { KubeObject } from './kube-object.js';
import { groupVersion, type ResourceDef } from './resources.js';

/** The list-item encoding: the object without kind and apiVersion, metadata first. */
export function encodeItem(obj: KubeObject): Buffer {
  const { kind: _kind, apiVersion: _apiVersion, metadata, ...rest } = obj;
  return Buffer.from(JSON.stringify({ metadata, ...rest }), 'utf8');
}

/** The full encoding (kind, apiVersion, then the item's fields) built from the cached item bytes. */
export function encodeFull(def: ResourceDef, item: Buffer): Buffer {
  const prefix = `{"kind":${JSON.stringify(def.kind)},"apiVersion":${JSON.stringify(groupVersion(def))},`;
  return Buffer.concat([Buffer.from(prefix, 'utf8'), item.subarray(1)]);
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
