/**
 * Watch event selection and encoding. A filtered watch sees an object that moves into its selector as
 * ADDED and one that moves out as DELETED, carrying the last state that matched at the event's revision
 * (k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go convertToWatchEvent). Events are framed as the JSON stream serializer writes metav1.WatchEvent:
 * `{"type":"…","object":{…}}` followed by a newline.
 */
import type { Representation } from '../k8s/media-type.js';
import { encodeFull, encodeItem } from './encoding.js';
import type { KubeObject } from './kube-object.js';
import { toPartialObjectMetadata } from './list-encoding.js';
import { groupVersion, type ResourceDef } from './resources.js';
import type { EventType, StoreEvent, StoredVersion } from './store.js';
import { toTable } from './table.js';

export type WireEventType = EventType | 'BOOKMARK' | 'ERROR';

export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

/** A version's object with another resourceVersion (updateResourceVersion of the previous object). */
function atRevision(version: StoredVersion, rv: number): StoredVersion {
  const obj: KubeObject = { ...version.obj, metadata: { ...version.obj.metadata, resourceVersion: String(rv) } };
  return { ...version, rv, obj, item: encodeItem(obj) };
}

/** The event a watcher with `matches` gets for a store event, or undefined when it gets none. */
export function selectEvent(
  event: StoreEvent,
  inScope: (key: string) => boolean,
  matches: (obj: KubeObject) => boolean,
): { type: EventType; version: StoredVersion } | undefined {
  if (!inScope(event.version.key)) return undefined;
  const cur = event.type !== 'DELETED' && matches(event.version.obj);
  const prev = event.prev !== undefined && matches(event.prev.obj);
  if (event.type === 'DELETED') return prev ? { type: 'DELETED', version: event.version } : undefined;
  if (cur && prev) return { type: 'MODIFIED', version: event.version };
  if (cur) return { type: 'ADDED', version: event.version };
  if (prev) return { type: 'DELETED', version: atRevision(event.prev!, event.version.rv) };
  return undefined;
}

export const INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION = 'kubernetes.io/initial-events-list-blueprint';

/**
 * The JSON of each kind's empty object beyond its metadata, as the cacher's newFunc() serializes it (the
 * zero internal object converted to v1: empty structs stay, nil slices are null).
 */
const EMPTY_FIELDS: Record<string, Record<string, unknown>> = {
  Namespace: { spec: {}, status: {} },
  Pod: { spec: { containers: null }, status: {} },
  Deployment: { spec: { replicas: 0, selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, strategy: {} }, status: {} },
};

/** A BOOKMARK object: an empty object of the watched kind carrying only the resourceVersion. */
export function bookmarkObject(def: ResourceDef, rv: number, initialEventsEnd: boolean): KubeObject {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
  if (initialEventsEnd) metadata['annotations'] = { [INITIAL_EVENTS_END_ANNOTATION]: 'true' };
  return { kind: def.kind, apiVersion: groupVersion(def), metadata: metadata as unknown as KubeObject['metadata'], ...EMPTY_FIELDS[def.kind] };
}

/**
 * handlers/response.go watchListTransformer: the initial-events-end bookmark also carries the empty list
 * the client would have got from a LIST, encoded as negotiated (JSON, with the encoder's newline), base64.
 */
function withListBlueprint(obj: KubeObject, list: { kind: string; apiVersion: string }): KubeObject {
  const blueprint = Buffer.from(`${JSON.stringify({ ...list, metadata: {}, items: null })}\n`).toString('base64');
  const annotations = { ...obj.metadata.annotations, [INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION]: blueprint };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

export interface EventEncoder {
  encode(type: WireEventType, version: StoredVersion): Buffer;
  encodeObject(type: WireEventType, obj: object): Buffer;
  encodeBookmark(rv: number, initialEventsEnd: boolean): Buffer;
}

function frame(type: WireEventType, objectJson: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`{"type":"${type}","object":`), Buffer.from(objectJson), Buffer.from('}\n')]);
}

/**
 * Encodes events in the negotiated representation. Table watches carry column definitions on the first
 * event only (handlers/response.go watchEmbeddedEncoder sets NoHeaders after the first object).
 */
export function createEventEncoder(def: ResourceDef, rep: Representation, opts: { now: () => number; includeObject: 'None' | 'Metadata' | 'Object' }): EventEncoder {
  let headersSent = false;
  const convert = (obj: KubeObject): object => {
    if (rep.as === 'PartialObjectMetadata' || rep.as === 'PartialObjectMetadataList') return toPartialObjectMetadata(obj);
    const table = toTable(def, [obj], { includeObject: opts.includeObject, noHeaders: headersSent, now: opts.now() });
    headersSent = true;
    return table;
  };
  const encoder: EventEncoder = {
    encode(type, version) {
      if (rep.as === 'object') return frame(type, encodeFull(def, version.item));
      return frame(type, JSON.stringify(convert(version.obj)));
    },
    encodeObject(type, obj) {
      return frame(type, JSON.stringify(obj));
    },
    encodeBookmark(rv, initialEventsEnd) {
      const obj = bookmarkObject(def, rv, initialEventsEnd);
      if (rep.as === 'object') {
        return frame('BOOKMARK', JSON.stringify(initialEventsEnd ? withListBlueprint(obj, { kind: def.listKind, apiVersion: groupVersion(def) }) : obj));
      }
      if (rep.as === 'Table') {
        const table = toTable(def, [], { listMeta: { resourceVersion: String(rv) }, noHeaders: true, now: opts.now() });
        return frame('BOOKMARK', JSON.stringify(table));
      }
      const partial = convert(obj) as KubeObject;
      const metadataList = { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' };
      return frame('BOOKMARK', JSON.stringify(initialEventsEnd ? withListBlueprint(partial, metadataList) : partial));
    },
  };
  return encoder;
}
