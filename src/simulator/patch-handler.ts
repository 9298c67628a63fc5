/**
 * PATCH (handlers/patch.go): the patch type comes from Content-Type; merge and strategic-merge patches
 * merge (RFC 7386), JSON patches apply operations (RFC 6902), apply patches (server-side apply,
 * application/apply-patch+yaml) merge the applied configuration or create the object when it is missing.
 * The patched object then goes through the same update path as PUT, including the optimistic-concurrency
 * check when the patch carries metadata.resourceVersion.
 */
import { parse as parseYaml } from 'yaml';
import { badRequest, unsupportedMediaType } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { isStatus, readBody, sendStatus } from './http-io.js';
import type { KubeObject } from './kube-object.js';
import { checkBody } from './object-lifecycle.js';
import { commitUpdate, notFound, requestKey, serveCreateFrom } from './object-handlers.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { failureStatus } from '../k8s/status.js';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

function parseBody(text: string, type: string): unknown {
  return type === 'application/apply-patch+yaml' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
}

export async function servePatch(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  const type = String(r.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!PATCH_TYPES.includes(type)) return sendStatus(r.res, unsupportedMediaType(PATCH_TYPES));
  const raw = await readBody(r.req);
  if (isStatus(raw)) return sendStatus(r.res, raw);
  let patch: unknown;
  try {
    patch = parseBody(raw.toString('utf8'), type);
  } catch (err) {
    return sendStatus(r.res, badRequest(`error decoding patch: ${(err as Error).message}`));
  }
  const apply = type === 'application/apply-patch+yaml';
  if (apply && !r.query.get('fieldManager')) {
    return sendStatus(r.res, badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set'));
  }
  const current = ctx.store.get(r.def, requestKey(r));
  if (!current) {
    if (!apply) return sendStatus(r.res, notFound(r));
    const input = checkBody(r.def, patch, r.info.namespace);
    if (isStatus(input)) return sendStatus(r.res, input);
    return serveCreateFrom(ctx, r, { ...input, metadata: { ...input.metadata, name: r.info.name } });
  }
  let patched: unknown;
  try {
    patched = type === 'application/json-patch+json' ? jsonPatch(current.obj, patch) : mergePatch(current.obj, patch);
  } catch (err) {
    if (err instanceof PatchError) {
      return sendStatus(r.res, err.code === 400 ? badRequest(err.message) : failureStatus(422, 'Invalid', err.message));
    }
    throw err;
  }
  const input = checkBody(r.def, patched, r.info.namespace);
  if (isStatus(input)) return sendStatus(r.res, input);
  const patchedMeta = (patch as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata;
  const wantedRv = type !== 'application/json-patch+json' && typeof patchedMeta?.resourceVersion === 'string'
    ? patchedMeta.resourceVersion
    : input.metadata.resourceVersion;
  const next: KubeObject = { ...input, metadata: { ...input.metadata, name: current.obj.metadata.name, resourceVersion: wantedRv } };
  commitUpdate(ctx, r, current, next);
}
