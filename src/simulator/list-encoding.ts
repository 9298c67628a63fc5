/**
 * LIST bodies assembled into ONE buffer before anything is written, like the pre-1.33 apiserver's
 * non-streaming encoders: a typed list concatenates the cached item encodings; PartialObjectMetadataList
 * and Table conversions follow handlers/response.go (asPartialObjectMetadataList, asTable).
 */
import type { KubeObject } from './kube-object.js';
import { groupVersion, type ResourceDef } from './resources.js';
import type { StoredVersion } from './store.js';

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** ListMeta in Go field order, without empty fields. */
export function listMetaJson(meta: ListMeta): ListMeta {
  const out: ListMeta = { resourceVersion: meta.resourceVersion };
  if (meta.continue) out.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) out.remainingItemCount = meta.remainingItemCount;
  return out;
}

export function encodeObjectList(def: ResourceDef, versions: readonly StoredVersion[], meta: ListMeta): Buffer {
  const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(groupVersion(def))},"metadata":${JSON.stringify(listMetaJson(meta))},"items":[`;
  const parts: Buffer[] = [Buffer.from(head, 'utf8')];
  const comma = Buffer.from(',');
  versions.forEach((v, i) => {
    if (i > 0) parts.push(comma);
    parts.push(v.item);
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

/** meta.AsPartialObjectMetadata with the meta.k8s.io/v1 kind set. */
export function toPartialObjectMetadata(obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function encodePartialList(versions: readonly StoredVersion[], meta: ListMeta): Buffer {
  return Buffer.from(
    JSON.stringify({
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: listMetaJson(meta),
      items: versions.map((v) => toPartialObjectMetadata(v.obj)),
    }),
    'utf8',
  );
}

/** The Go type the apiserver names in its 406 messages, e.g. `*core.SecretList`, `*apps.Deployment`. */
export function internalTypeName(def: ResourceDef, list: boolean): string {
  return `*${def.group ? def.group.split('.')[0] : 'core'}.${list ? def.listKind : def.kind}`;
}
