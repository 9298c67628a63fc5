/**
 * LIST (handlers/get.go ListResource → registry store → etcd3 GetList or the watch cache): validation,
 * the read plan (list-read.ts), a consistent snapshot across pages, selectors, limit/continue with
 * remainingItemCount only for selector-free lists (etcd3/store.go: "Instead of returning inaccurate count
 * for non-empty selectors, we return nil"), conversion, and the memory model: the whole body is one Buffer
 * whose modeled cost is held from assembly until the write completes or the client goes away.
 */
import type { ListOptions } from '../k8s/list-options.js';
import { parseListOptions } from '../k8s/list-options.js';
import type { Status } from '../k8s/status.js';
import { badRequest, notAcceptable } from './api-errors.js';
import { encodeContinue } from './continue-token.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { matchesFields, parseFieldSelector, type FieldSelector } from './field-selector.js';
import { commonHeaders, sendStatus } from './http-io.js';
import type { KubeObject } from './kube-object.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from './label-selector.js';
import { encodeObjectList, encodePartialList, internalTypeName, type ListMeta } from './list-encoding.js';
import { planListRead } from './list-read.js';
import { validateListOptions } from './list-validation.js';
import { modeledListBytes } from './memory-model.js';
import type { StoredVersion } from './store.js';
import { toTable } from './table.js';

export interface ObjectFilter {
  labels: LabelSelector;
  fields: FieldSelector;
  name?: string;
  /** True when a label or field selector is set (remainingItemCount is then omitted). */
  selective: boolean;
  matches(obj: KubeObject): boolean;
}

/** Parses the selectors of a list or watch (400 BadRequest on bad input, as the parameter codec answers). */
export function buildFilter(r: Pick<ResourceRequest, 'def' | 'info'>, opts: ListOptions): ObjectFilter | Status {
  let labels: LabelSelector = [];
  let fields: FieldSelector = [];
  try {
    if (opts.labelSelector) labels = parseLabelSelector(opts.labelSelector);
    if (opts.fieldSelector) fields = parseFieldSelector(r.def, opts.fieldSelector);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  const name = r.info.name || undefined;
  return {
    labels,
    fields,
    name,
    selective: labels.length > 0 || fields.length > 0,
    matches: (obj) =>
      (name === undefined || obj.metadata.name === name) && matchesLabels(labels, obj.metadata.labels) && matchesFields(r.def, fields, obj),
  };
}

/** The etcd key prefix of the request's collection, relative to /registry/<resource>/. */
export function keyPrefix(r: Pick<ResourceRequest, 'def' | 'info'>): string {
  return r.def.namespaced && r.info.namespace ? `${r.info.namespace}/` : '';
}

interface Page {
  versions: StoredVersion[];
  meta: ListMeta;
  /** Bytes of the full objects the read loaded (what etcd returned and the server decoded). */
  loadedBytes: number;
}

function readPage(ctx: SimulatorContext, r: ResourceRequest, filter: ObjectFilter, plan: { atRv: number; startAfter?: string; limit?: number }): Page {
  const prefix = keyPrefix(r);
  const versions: StoredVersion[] = [];
  let loadedBytes = 0;
  let last: StoredVersion | undefined;
  let remaining = 0;
  const from = plan.startAfter !== undefined ? prefix + plan.startAfter : undefined;
  for (const v of ctx.store.scan(r.def, plan.atRv, prefix, from)) {
    if (plan.limit !== undefined && versions.length >= plan.limit) {
      remaining += 1;
      continue;
    }
    loadedBytes += v.item.length;
    if (!filter.matches(v.obj)) continue;
    versions.push(v);
    last = v;
  }
  const meta: ListMeta = { resourceVersion: String(plan.atRv) };
  if (remaining > 0 && last) {
    meta.continue = encodeContinue({ start: `${last.key.slice(prefix.length)}\u0000`, rv: plan.atRv });
    if (!filter.selective) meta.remainingItemCount = remaining;
  }
  return { versions, meta, loadedBytes };
}

function encodePage(ctx: SimulatorContext, r: ResourceRequest, page: Page): Buffer | Status {
  switch (r.rep.as) {
    case 'object':
      return encodeObjectList(r.def, page.versions, page.meta);
    case 'PartialObjectMetadataList':
      return encodePartialList(page.versions, page.meta);
    case 'Table': {
      const includeObject = r.query.get('includeObject');
      const table = toTable(r.def, page.versions.map((v) => v.obj), {
        listMeta: page.meta,
        includeObject: includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata',
        now: ctx.now(),
      });
      return Buffer.from(JSON.stringify(table), 'utf8');
    }
    default:
      return notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${internalTypeName(r.def, true)})`);
  }
}

export async function serveList(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const opts = parseListOptions(r.query);
  const invalid = validateListOptions(opts, false, ctx.watchList);
  if (invalid) return sendStatus(r.res, invalid);
  const filter = buildFilter(r, opts);
  if ('code' in filter) return sendStatus(r.res, filter);
  const plan = await planListRead(ctx.store, opts);
  if ('code' in plan) return sendStatus(r.res, plan);
  if (r.res.destroyed) return;
  ctx.metrics.countList(r.def, plan.source);

  const page = readPage(ctx, r, filter, plan);
  const body = encodePage(ctx, r, page);
  if (!Buffer.isBuffer(body)) return sendStatus(r.res, body);
  // Conversions (Table, metadata) still load every object from etcd; the watch cache holds them decoded.
  const priced = plan.source === 'etcd' ? Math.max(body.length, page.loadedBytes) : body.length;
  const lease = ctx.memory.acquire(modeledListBytes(priced, plan.source));
  if (!lease) return; // OOM-killed: every connection, this one included, is gone.
  let bodyRef: Buffer | undefined = body; // held until the write completes, like the apiserver's buffer
  const done = (): void => {
    bodyRef = undefined;
    lease.release();
  };
  r.res.once('finish', done);
  r.res.once('close', done);
  r.res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json', 'Content-Length': bodyRef.length });
  writeWithBackpressure(r.res, bodyRef);
}

const WRITE_SLICE_BYTES = 1024 * 1024;

/**
 * Writes the assembled body in slices as the socket drains. The whole Buffer stays referenced (that is the
 * modeled cost); slicing only keeps TLS from encrypting a second full copy ahead of a slow reader.
 */
function writeWithBackpressure(res: ResourceRequest['res'], body: Buffer): void {
  let offset = 0;
  const pump = (): void => {
    while (!res.destroyed) {
      const end = Math.min(offset + WRITE_SLICE_BYTES, body.length);
      if (end === body.length) {
        res.end(body.subarray(offset));
        return;
      }
      const more = res.write(body.subarray(offset, end));
      offset = end;
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
