/**
 * GET, POST (create), PUT (update) of single objects, as handlers/{get,create,update}.go and the generic
 * registry store do them: 404 NotFound, 409 AlreadyExists, 409 Conflict on a stale resourceVersion
 * (storage.OptimisticLockErrorMsg), namespaces that must exist (the NamespaceLifecycle admission plugin),
 * status subresources that only change status (and main-resource writes that cannot), dryRun=All.
 * fieldManager and fieldValidation are accepted; we keep no managedFields.
 */
import { alreadyExistsStatus, notFoundStatus, type Status } from '../k8s/status.js';
import { badRequest, conflict, notAcceptable, OPTIMISTIC_LOCK_MESSAGE } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { encodeFull, encodeItem } from './encoding.js';
import { isStatus, readJsonBody, sendJson, sendStatus } from './http-io.js';
import type { KubeObject } from './kube-object.js';
import { internalTypeName, toPartialObjectMetadata } from './list-encoding.js';
import { checkBody, isNoopUpdate, prepareCreate, prepareUpdate } from './object-lifecycle.js';
import { findResource } from './resources.js';
import { objectKey, type StoredVersion } from './store.js';
import { toTable } from './table.js';

export function requestKey(r: ResourceRequest): string {
  return objectKey(r.def.namespaced ? r.info.namespace : undefined, r.info.name);
}

export function isDryRun(r: ResourceRequest): boolean {
  return r.query.getAll('dryRun').includes('All');
}

export function hasStatusSubresource(r: ResourceRequest): boolean {
  return r.def.subresources?.includes('status') ?? false;
}

/** Writes one object in the negotiated representation (handlers/response.go transformResponseObject). */
export function respondObject(ctx: SimulatorContext, r: ResourceRequest, code: number, obj: KubeObject, item?: Buffer): void {
  switch (r.rep.as) {
    case 'object':
      return sendJson(r.res, code, encodeFull(r.def, item ?? encodeItem(obj)));
    case 'PartialObjectMetadata':
      return sendJson(r.res, code, toPartialObjectMetadata(obj));
    case 'Table': {
      const includeObject = r.query.get('includeObject');
      return sendJson(r.res, code, toTable(r.def, [obj], {
        includeObject: includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata',
        now: ctx.now(),
      }));
    }
    default:
      return sendStatus(r.res, notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${internalTypeName(r.def, false)})`));
  }
}

export function notFound(r: ResourceRequest): Status {
  return notFoundStatus(r.def.resource, r.def.group, r.info.name);
}

export function serveGet(ctx: SimulatorContext, r: ResourceRequest): void {
  const current = ctx.store.get(r.def, requestKey(r));
  if (!current) return sendStatus(r.res, notFound(r));
  respondObject(ctx, r, 200, current.obj, current.item);
}

/** The namespace a namespaced create or update lands in must exist. */
function missingNamespace(ctx: SimulatorContext, r: ResourceRequest): Status | undefined {
  if (!r.def.namespaced) return undefined;
  const namespaces = findResource('', 'v1', 'namespaces')!;
  return ctx.store.get(namespaces, r.info.namespace) ? undefined : notFoundStatus('namespaces', '', r.info.namespace);
}

export async function serveCreate(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const body = await readJsonBody(r.req);
  if (isStatus(body)) return sendStatus(r.res, body);
  const input = checkBody(r.def, body, r.info.namespace);
  if (isStatus(input)) return sendStatus(r.res, input);
  serveCreateFrom(ctx, r, input);
}

/** Creates the decoded object (also the create-on-apply path of a server-side apply PATCH). */
export function serveCreateFrom(ctx: SimulatorContext, r: ResourceRequest, input: KubeObject): void {
  if (hasStatusSubresource(r)) delete input['status'];
  const prepared = prepareCreate(r.def, input, { namespace: r.info.namespace, now: ctx.now() });
  if (isStatus(prepared)) return sendStatus(r.res, prepared);
  const absent = missingNamespace(ctx, r);
  if (absent) return sendStatus(r.res, absent);
  const key = objectKey(r.def.namespaced ? r.info.namespace : undefined, prepared.metadata.name);
  if (ctx.store.get(r.def, key)) return sendStatus(r.res, alreadyExistsStatus(r.def.resource, r.def.group, prepared.metadata.name));
  if (isDryRun(r)) return respondObject(ctx, r, 201, prepared);
  const stored = ctx.store.put(r.def, key, prepared);
  respondObject(ctx, r, 201, stored.obj, stored.item);
}

/**
 * The update every write funnels into (PUT, PATCH, status): preconditions, status-subresource rules, the
 * registry's BeforeUpdate, no-op detection, dryRun.
 */
export function commitUpdate(ctx: SimulatorContext, r: ResourceRequest, current: StoredVersion, input: KubeObject): void {
  const wanted = input.metadata.resourceVersion;
  if (wanted && wanted !== current.obj.metadata.resourceVersion) {
    return sendStatus(r.res, conflict(r.def, r.info.name, OPTIMISTIC_LOCK_MESSAGE));
  }
  let merged = input;
  if (r.info.subresource === 'status') {
    merged = { ...current.obj, status: input['status'] };
  } else if (hasStatusSubresource(r)) {
    merged = { ...input, status: current.obj['status'] };
  }
  const next = prepareUpdate(r.def, current.obj, merged, ctx.now());
  if (isNoopUpdate(current.obj, next)) return respondObject(ctx, r, 200, current.obj, current.item);
  if (isDryRun(r)) return respondObject(ctx, r, 200, next);
  const stored = ctx.store.put(r.def, current.key, next);
  respondObject(ctx, r, 200, stored.obj, stored.item);
}

export async function serveUpdate(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const body = await readJsonBody(r.req);
  if (isStatus(body)) return sendStatus(r.res, body);
  const input = checkBody(r.def, body, r.info.namespace);
  if (isStatus(input)) return sendStatus(r.res, input);
  if (input.metadata.name && input.metadata.name !== r.info.name) {
    return sendStatus(r.res, badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${r.info.name})`));
  }
  const current = ctx.store.get(r.def, requestKey(r));
  if (!current) return sendStatus(r.res, notFound(r));
  commitUpdate(ctx, r, current, input);
}
