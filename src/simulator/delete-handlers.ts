/**
 * DELETE and DELETE on a collection (handlers/delete.go, generic registry store Delete/DeleteCollection):
 * - DeleteOptions preconditions (uid, resourceVersion) → 409 "Precondition failed: …";
 * - the answer is the deleted object for stores with ReturnDeletedObject (pods, namespaces:
 *   pkg/registry/core/{pod,namespace}/storage/storage.go), otherwise a Success Status whose details name
 *   the object (registry/store.go finalizeDelete);
 * - a namespace goes Terminating, its contents are deleted, then it is removed (an instant namespace
 *   controller), and the answer is the Terminating namespace (core/namespace/storage/storage.go Delete);
 * - deletecollection answers the list of deleted objects.
 */
import { successStatus } from '../k8s/status.js';
import { conflict } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { formatTime } from './encoding.js';
import { isStatus, readJsonBody, sendJson, sendStatus } from './http-io.js';
import { buildFilter, keyPrefix } from './list-handler.js';
import { encodeObjectList } from './list-encoding.js';
import { parseListOptions } from '../k8s/list-options.js';
import { isDryRun, notFound, requestKey, respondObject } from './object-handlers.js';
import { isStored, RESOURCES, type ResourceDef } from './resources.js';
import type { StoredVersion } from './store.js';

const RETURNS_DELETED_OBJECT = new Set(['pods', 'namespaces']);

function preconditionFailure(body: unknown, current: StoredVersion): string | undefined {
  const pre = (body as { preconditions?: { uid?: unknown; resourceVersion?: unknown } } | undefined)?.preconditions;
  if (!pre) return undefined;
  const meta = current.obj.metadata;
  if (typeof pre.uid === 'string' && pre.uid !== meta.uid) {
    return `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`;
  }
  if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== meta.resourceVersion) {
    return `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`;
  }
  return undefined;
}

/** Removes a namespace's contents and then the namespace itself; returns the Terminating version. */
function deleteNamespace(ctx: SimulatorContext, def: ResourceDef, current: StoredVersion): StoredVersion {
  const terminating = ctx.store.put(def, current.key, {
    ...current.obj,
    metadata: { ...current.obj.metadata, deletionTimestamp: formatTime(ctx.now()) },
    status: { ...(current.obj['status'] as object | undefined), phase: 'Terminating' },
  });
  for (const contained of RESOURCES.filter((d) => d.namespaced && isStored(d))) {
    const keys = [...ctx.store.scan(contained, ctx.store.currentRv(), `${current.key}/`)].map((v) => v.key);
    for (const key of keys) ctx.store.remove(contained, key);
  }
  ctx.store.remove(def, current.key);
  return terminating;
}

export async function serveDelete(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const body = await readJsonBody(r.req);
  if (isStatus(body)) return sendStatus(r.res, body);
  const current = ctx.store.get(r.def, requestKey(r));
  if (!current) return sendStatus(r.res, notFound(r));
  const failed = preconditionFailure(body, current);
  if (failed) return sendStatus(r.res, conflict(r.def, r.info.name, failed));
  const dryRun = isDryRun(r) || (body as { dryRun?: unknown }).dryRun !== undefined;
  let gone: StoredVersion = current;
  if (!dryRun) gone = r.def.kind === 'Namespace' ? deleteNamespace(ctx, r.def, current) : ctx.store.remove(r.def, current.key)!;
  if (RETURNS_DELETED_OBJECT.has(r.def.resource)) return respondObject(ctx, r, 200, gone.obj, gone.item);
  const details = { name: current.obj.metadata.name, kind: r.def.resource, uid: current.obj.metadata.uid, ...(r.def.group ? { group: r.def.group } : {}) };
  const { code: _code, ...status } = successStatus(details);
  sendJson(r.res, 200, status);
}

export async function serveDeleteCollection(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const body = await readJsonBody(r.req);
  if (isStatus(body)) return sendStatus(r.res, body);
  const filter = buildFilter(r, parseListOptions(r.query));
  if ('code' in filter) return sendStatus(r.res, filter);
  const matching = [...ctx.store.scan(r.def, ctx.store.currentRv(), keyPrefix(r))].filter((v) => filter.matches(v.obj));
  const deleted = isDryRun(r) ? matching : matching.map((v) => ctx.store.remove(r.def, v.key)!);
  sendJson(r.res, 200, encodeObjectList(r.def, deleted, { resourceVersion: String(ctx.store.currentRv()) }));
}
