/**
 * What the generic registry (k8s.io/apiserver/pkg/registry/rest/create.go BeforeCreate, update.go
 * BeforeUpdate, and apimachinery's ValidateObjectMeta) does to an object on its way into storage: name or
 * generateName (5 random characters from k8s.io/apimachinery/pkg/util/rand), uid, creationTimestamp,
 * generation, namespace checks, name validation, and immutable metadata kept across updates.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Status } from '../k8s/status.js';
import { badRequest, invalid, invalidField, requiredField, type FieldCause } from './api-errors.js';
import { formatTime } from './encoding.js';
import type { KubeObject, ObjectMeta } from './kube-object.js';
import { applyDefaults, hasGeneration } from './object-defaults.js';
import { groupVersion, type ResourceDef } from './resources.js';

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

function validateName(def: ResourceDef, name: string): FieldCause[] {
  const label = def.kind === 'Namespace';
  const ok = label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  return ok ? [] : [invalidField('metadata.name', name, label ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE)];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Checks the decoded body's kind, apiVersion and namespace against the request. */
export function checkBody(def: ResourceDef, body: unknown, namespace: string): KubeObject | Status {
  const obj = asRecord(body);
  if (!obj) return badRequest('the body of the request is not a JSON object');
  if (obj['kind'] !== undefined && obj['kind'] !== def.kind) {
    return badRequest(`the kind of the provided object (${String(obj['kind'])}) does not match the expected kind (${def.kind})`);
  }
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== groupVersion(def)) {
    return badRequest(`the API version in the data (${String(obj['apiVersion'])}) does not match the expected API version (${groupVersion(def)})`);
  }
  const metadata = asRecord(obj['metadata']) ?? {};
  if (def.namespaced && typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' && metadata['namespace'] !== namespace) {
    return badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { ...obj, apiVersion: groupVersion(def), kind: def.kind, metadata: metadata as unknown as ObjectMeta };
}

/** Metadata in the order the Go struct serializes it, unknown extra fields after. */
function orderedMeta(meta: ObjectMeta): ObjectMeta {
  const { name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, labels, annotations, ...rest } = meta;
  const out: Record<string, unknown> = { name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, labels, annotations, ...rest };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as ObjectMeta;
}

export interface CreateContext {
  namespace: string;
  now: number;
  uid?: string;
}

/** The object as it will be stored (resourceVersion is the store's), or a 422 Status. */
export function prepareCreate(def: ResourceDef, input: KubeObject, ctx: CreateContext): KubeObject | Status {
  const meta: ObjectMeta = { ...input.metadata };
  if (!meta.generateName) delete meta.generateName;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateNameSuffix()}`;
  if (!meta.name) return invalid(def.kind, def.group, '', [requiredField('metadata.name', 'name or generateName is required')]);
  const causes = validateName(def, meta.name);
  if (causes.length > 0) return invalid(def.kind, def.group, meta.name, causes);
  if (def.namespaced) meta.namespace = ctx.namespace;
  else delete meta.namespace;
  meta.uid = ctx.uid ?? randomUUID();
  meta.creationTimestamp = formatTime(ctx.now);
  meta.resourceVersion = '';
  delete meta.deletionTimestamp;
  if (hasGeneration(def.kind)) meta.generation = 1;
  else delete meta.generation;
  const { apiVersion, kind, metadata: _metadata, ...rest } = input;
  const obj: KubeObject = { apiVersion, kind, metadata: meta, ...structuredClone(rest) };
  applyDefaults(def.kind, obj, ctx.now);
  obj.metadata = orderedMeta(obj.metadata);
  return obj;
}

function specOf(obj: KubeObject): string {
  return JSON.stringify(obj['spec'] ?? null);
}

/** BeforeUpdate: identity and creation metadata are the stored object's; spec changes bump generation. */
export function prepareUpdate(def: ResourceDef, current: KubeObject, input: KubeObject, now: number): KubeObject {
  const meta: ObjectMeta = {
    ...input.metadata,
    name: current.metadata.name,
    uid: current.metadata.uid,
    creationTimestamp: current.metadata.creationTimestamp,
    resourceVersion: current.metadata.resourceVersion,
  };
  if (def.namespaced) meta.namespace = current.metadata.namespace;
  else delete meta.namespace;
  delete meta.generateName;
  if (current.metadata.generateName) meta.generateName = current.metadata.generateName;
  const { apiVersion, kind, metadata: _metadata, ...rest } = input;
  const obj: KubeObject = { apiVersion, kind, metadata: meta, ...structuredClone(rest) };
  if (hasGeneration(def.kind)) {
    const generation = current.metadata.generation ?? 1;
    meta.generation = specOf(obj) === specOf(current) ? generation : generation + 1;
  }
  applyDefaults(def.kind, obj, now);
  obj.metadata = orderedMeta(obj.metadata);
  return obj;
}

/** True when the update would store exactly what is stored (etcd3 store skips such no-op writes). */
export function isNoopUpdate(current: KubeObject, next: KubeObject): boolean {
  return JSON.stringify(next) === JSON.stringify(current);
}
