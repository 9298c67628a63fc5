/**
 * deployments/scale (pkg/registry/apps/deployment/storage/storage.go ScaleREST): an autoscaling/v1 Scale
 * view of a Deployment. GET reads it; PUT and PATCH (merge, strategic merge, JSON patch of the Scale)
 * change only spec.replicas, with the Scale's metadata.resourceVersion as a precondition (409 Conflict),
 * and validation of the replica count (422, ValidateScale). The simulated deployment controller then
 * reports the rollout complete (object-defaults.ts). kubectl scale sends a merge PATCH
 * `{"spec":{"replicas":N}}`; client-go's scale client GETs and PUTs.
 */
import { badRequest, conflict, invalid, methodNotAllowed, OPTIMISTIC_LOCK_MESSAGE, unsupportedMediaType } from './api-errors.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { isStatus, readBody, sendJson, sendStatus } from './http-io.js';
import type { KubeObject } from './kube-object.js';
import { notFound, requestKey } from './object-handlers.js';
import { prepareUpdate } from './object-lifecycle.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { failureStatus } from '../k8s/status.js';

type Obj = Record<string, unknown>;
const record = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.FormatLabelSelector: `k=v` terms, then `key in (a,b)`, `key notin (...)`, `key`, `!key`. */
export function formatLabelSelector(selector: LabelSelectorSpec | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') terms.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return terms.length > 0 ? terms.join(',') : '<none>';
}

/** The Scale a deployment shows (scaleFromDeployment). */
export function scaleOf(deployment: KubeObject): Obj {
  const m = deployment.metadata;
  const spec = record(deployment['spec']);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: { replicas: Number(record(deployment['status'])['replicas'] ?? 0), selector: formatLabelSelector(spec['selector'] as LabelSelectorSpec | undefined) },
  };
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** The Scale the request asks for: the PUT body, or the current Scale with the PATCH applied. */
async function wantedScale(r: ResourceRequest, current: Obj): Promise<Obj | ReturnType<typeof badRequest>> {
  const raw = await readBody(r.req);
  if (isStatus(raw)) return raw;
  const type = String(r.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (r.info.verb === 'patch' && !PATCH_TYPES.includes(type)) return unsupportedMediaType(PATCH_TYPES);
  try {
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    if (r.info.verb === 'update') return record(body);
    return record(type === 'application/json-patch+json' ? jsonPatch(current, body) : mergePatch(current, body));
  } catch (err) {
    if (err instanceof PatchError) return err.code === 400 ? badRequest(err.message) : failureStatus(422, 'Invalid', err.message);
    return badRequest(`error decoding the Scale: ${(err as Error).message}`);
  }
}

export async function serveScale(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  if (!['get', 'update', 'patch'].includes(r.info.verb)) return sendStatus(r.res, methodNotAllowed());
  const stored = ctx.store.get(r.def, requestKey(r));
  if (!stored) return sendStatus(r.res, notFound(r));
  const current = scaleOf(stored.obj);
  if (r.info.verb === 'get') return sendJson(r.res, 200, current);
  const wanted = await wantedScale(r, current);
  if (isStatus(wanted)) return sendStatus(r.res, wanted);
  if (wanted['kind'] !== undefined && wanted['kind'] !== 'Scale') {
    return sendStatus(r.res, badRequest(`the kind of the provided object (${String(wanted['kind'])}) does not match the expected kind (Scale)`));
  }
  // spec.replicas is `omitempty`: a Scale to 0 arrives without it.
  const replicas = record(wanted['spec'])['replicas'] ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    return sendStatus(r.res, badRequest(`error decoding the Scale: spec.replicas must be an integer, got ${JSON.stringify(replicas)}`));
  }
  if (replicas < 0) {
    const message = `Invalid value: ${replicas}: must be greater than or equal to 0`;
    return sendStatus(r.res, invalid('Scale', 'autoscaling', r.info.name, [{ reason: 'FieldValueInvalid', message, field: 'spec.replicas' }]));
  }
  const wantedRv = record(wanted['metadata'])['resourceVersion'];
  if (typeof wantedRv === 'string' && wantedRv !== '' && wantedRv !== stored.obj.metadata.resourceVersion) {
    return sendStatus(r.res, conflict(r.def, r.info.name, OPTIMISTIC_LOCK_MESSAGE));
  }
  if (record(current['spec'])['replicas'] === replicas) return sendJson(r.res, 200, current);
  const next = prepareUpdate(r.def, stored.obj, { ...stored.obj, spec: { ...record(stored.obj['spec']), replicas } }, ctx.now());
  if (r.query.getAll('dryRun').includes('All')) return sendJson(r.res, 200, scaleOf(next));
  const written = ctx.store.put(r.def, stored.key, next);
  sendJson(r.res, 200, scaleOf(written.obj));
}
