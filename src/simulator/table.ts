/**
 * meta.k8s.io/v1 Table conversion for `kubectl get` (Accept: application/json;as=Table;g=meta.k8s.io;v=v1).
 * Shape from k8s.io/apiserver/pkg/endpoints/handlers/response.go (asTable): each row's `object` is a
 * PartialObjectMetadata (includeObject=Metadata, the default), the full object (Object) or null (None);
 * `metadata` carries the list's resourceVersion/continue/remainingItemCount, or the single object's
 * resourceVersion (tableconvertor.go). With noHeaders the columnDefinitions are null, as the apiserver
 * sends them for every watch event after the first (handlers/watch.go).
 */
import type { KubeObject } from './kube-object.js';
import type { ResourceDef } from './resources.js';
import { printerFor, type TableCell, type TableColumnDefinition } from './table-columns.js';

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TableOptions {
  listMeta?: TableListMeta;
  includeObject?: 'None' | 'Metadata' | 'Object';
  noHeaders?: boolean;
  /** Wall clock (ms since the epoch) used for the AGE column. */
  now: number;
}

export interface TableRow {
  cells: TableCell[];
  object: KubeObject | PartialObjectMetadata | null;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: KubeObject['metadata'];
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableListMeta;
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

function rowObject(obj: KubeObject, includeObject: TableOptions['includeObject']): TableRow['object'] {
  switch (includeObject) {
    case 'None':
      return null;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

/** ListMeta with empty fields dropped (they are `omitempty` on the wire). */
function tableMeta(objects: readonly KubeObject[], listMeta: TableListMeta | undefined): TableListMeta {
  const meta: TableListMeta = {};
  const resourceVersion = listMeta ? listMeta.resourceVersion : objects[0]?.metadata.resourceVersion;
  if (resourceVersion) meta.resourceVersion = resourceVersion;
  if (listMeta?.continue) meta.continue = listMeta.continue;
  if (listMeta?.remainingItemCount !== undefined) meta.remainingItemCount = listMeta.remainingItemCount;
  return meta;
}

export function toTable(def: ResourceDef, objects: KubeObject[], opts: TableOptions): Table {
  const printer = printerFor(def.resource);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: tableMeta(objects, opts.listMeta),
    columnDefinitions: opts.noHeaders ? null : [...printer.columns],
    rows: objects.map((obj) => ({ cells: printer.cells(obj, opts.now), object: rowObject(obj, opts.includeObject) })),
  };
}
