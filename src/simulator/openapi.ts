/**
 * A minimal OpenAPI v3 for the simulator's resources: the /openapi/v3 discovery document (kube-openapi
 * handler3.OpenAPIV3Discovery: `paths` → `serverRelativeURL` with a `hash`) and one spec3 document per
 * group/version with the paths, operations and parameters kubectl reads.
 *
 * Why it exists: `kubectl create -f` validates Strict by default and first asks, through
 * cli-runtime/pkg/resource/query_param_verifier_v3.go (supportsQueryParamV3), whether the PATCH operation
 * tagged with the object's x-kubernetes-group-version-kind lists a `fieldValidation` parameter. If it does,
 * validation is left to the server. Kinds without PATCH (TokenReview, SelfSubjectReview, ...) fall back, as on
 * a real server, to client-side validation against OpenAPI v2 (kubectl/pkg/validation): /openapi/v2 is served
 * as a Document without definitions, for which kubectl skips schema validation (LookupResource finds nothing)
 * and leaves it to the server. Every document carries the real 1.32 schema text of the simulator's kinds
 * (openapi-explain.ts), which `kubectl explain` prints; the other kinds and the lists keep shallow schemas.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAccept } from '../k8s/media-type.js';
import { failureStatus, writeStatus } from '../k8s/status.js';
import { EXPLAIN_SCHEMAS } from './openapi-explain.js';
import { RESOURCES, type ResourceDef } from './resources.js';

type Doc = Record<string, unknown>;

const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Doc => ({ $ref: `#/components/schemas/${name}` });
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const groupLabel = (def: ResourceDef): string => (def.group === '' ? 'core' : def.group.split('.')[0]!);
const schemaName = (def: ResourceDef): string => `io.k8s.api.${groupLabel(def)}.${def.version}.${def.kind}`;
const apiPath = (def: ResourceDef): string => (def.group === '' ? `api/${def.version}` : `apis/${def.group}/${def.version}`);

function queryParam(name: string, description: string): Doc {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

const DRY_RUN = queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
);
const FORCE = { name: 'force', in: 'query', description: 'Force is going to "force" Apply requests.', schema: { type: 'boolean', uniqueItems: true } };
const PATH_PARAM = (name: string): Doc => ({ name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });

function operation(def: ResourceDef, action: string, verb: string, scoped: string, schema: string, parameters: Doc[], withBody: boolean): Doc {
  const op: Doc = {
    tags: [`${groupLabel(def)}_${def.version}`],
    description: `${action} ${def.kind}`,
    operationId: `${verb}${capitalize(groupLabel(def))}${capitalize(def.version)}${scoped}`,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref(schema) } } } },
    'x-kubernetes-action': verb === 'replace' ? 'put' : verb === 'create' ? 'post' : verb,
    'x-kubernetes-group-version-kind': { group: def.group, kind: def.kind, version: def.version },
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (withBody) op.requestBody = { content: { 'application/json': { schema: ref(verb === 'patch' ? `${META_V1}.Patch` : schemaName(def)) } }, required: true };
  return op;
}

function resourcePaths(def: ResourceDef): Doc {
  const base = `/${apiPath(def)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`;
  const scoped = `${def.namespaced ? 'Namespaced' : ''}${def.kind}`;
  const own = schemaName(def);
  const has = (v: string): boolean => def.verbs.includes(v);
  const collection: Doc = { parameters: def.namespaced ? [PATH_PARAM('namespace')] : [] };
  const item: Doc = { parameters: [PATH_PARAM('name'), ...(def.namespaced ? [PATH_PARAM('namespace')] : [])] };
  if (has('list')) collection.get = operation(def, 'list or watch objects of kind', 'list', scoped, `${own}List`, [], false);
  if (has('create')) collection.post = operation(def, 'create a', 'create', scoped, own, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], true);
  if (has('get')) item.get = operation(def, 'read the specified', 'read', scoped, own, [], false);
  if (has('update')) item.put = operation(def, 'replace the specified', 'replace', scoped, own, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], true);
  if (has('patch')) item.patch = operation(def, 'partially update the specified', 'patch', scoped, own, [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], true);
  if (has('delete')) item.delete = operation(def, 'delete a', 'delete', scoped, `${META_V1}.Status`, [DRY_RUN], false);
  const paths: Doc = { [base]: collection };
  if (has('get')) paths[`${base}/{name}`] = item;
  return paths;
}

function kindSchema(def: ResourceDef, list: boolean): Doc {
  const properties: Doc = {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { allOf: [ref(list ? `${META_V1}.ListMeta` : `${META_V1}.ObjectMeta`)], default: {} },
  };
  if (list) properties.items = { type: 'array', items: { allOf: [ref(schemaName(def))], default: {} } };
  const kind = list ? def.listKind : def.kind;
  return {
    type: 'object',
    description: `${kind} as served by the listgate simulator.`,
    properties,
    ...(list ? { required: ['items'] } : {}),
    'x-kubernetes-group-version-kind': [{ group: def.group, kind, version: def.version }],
  };
}

function groupVersionSpec(defs: ResourceDef[], gitVersion: string): Doc {
  const schemas: Doc = {
    ...EXPLAIN_SCHEMAS,
    [`${META_V1}.Patch`]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
    [`${META_V1}.Status`]: { type: 'object', properties: { status: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, code: { type: 'integer', format: 'int32' } } },
  };
  let paths: Doc = {};
  for (const def of defs) {
    paths = { ...paths, ...resourcePaths(def) };
    schemas[schemaName(def)] = EXPLAIN_SCHEMAS[schemaName(def)] ?? kindSchema(def, false);
    if (def.verbs.includes('list')) schemas[`${schemaName(def)}List`] = kindSchema(def, true);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gitVersion }, paths, components: { schemas } };
}

/** The spec3 document of every group/version, keyed by its path under /openapi/v3 (e.g. `apis/apps/v1`). */
function specsByPath(gitVersion: string): Map<string, { body: string; hash: string }> {
  const byPath = new Map<string, ResourceDef[]>();
  for (const def of RESOURCES) byPath.set(apiPath(def), [...(byPath.get(apiPath(def)) ?? []), def]);
  const specs = new Map<string, { body: string; hash: string }>();
  for (const [path, defs] of byPath) {
    const body = JSON.stringify(groupVersionSpec(defs, gitVersion));
    specs.set(path, { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() });
  }
  return specs;
}

function acceptsJson(accept: string | undefined): boolean {
  const entries = parseAccept(accept);
  return entries.length === 0 || entries.some((e) => ['application/json', '*/*', 'application/*'].includes(e.type));
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** kube-openapi pkg/handler/handler.go answers with the dotted subtype: the `@` form does not parse as a media type. */
const OPENAPI_V2_PROTOBUF_RESPONSE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** A protobuf length-delimited field (wire type 2) whose payload is shorter than 128 bytes. */
function protoField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, payload.length]), payload]);
}

/** GET /openapi/v2: gnostic openapi_v2.Document {swagger: "2.0", info: {title, version}} (protobuf or JSON). */
function serveOpenAPIV2(req: IncomingMessage, res: ServerResponse, gitVersion: string): void {
  const info = { title: 'Kubernetes', version: gitVersion };
  const protobuf = parseAccept(req.headers.accept).some((e) => e.type === OPENAPI_V2_PROTOBUF);
  const body = protobuf
    ? Buffer.concat([protoField(1, Buffer.from('2.0')), protoField(2, Buffer.concat([protoField(1, Buffer.from(info.title)), protoField(2, Buffer.from(info.version))]))])
    : Buffer.from(JSON.stringify({ swagger: '2.0', info, paths: {}, definitions: {} }));
  res.writeHead(200, { 'Content-Type': protobuf ? OPENAPI_V2_PROTOBUF_RESPONSE : 'application/json', 'Content-Length': body.length }).end(body);
}

/** Serves /openapi/v2, /openapi/v3 and /openapi/v3/<api path>; `rest` is the path after /openapi. */
export function serveOpenAPI(req: IncomingMessage, res: ServerResponse, rest: string[], query: URLSearchParams, gitVersion: string): boolean {
  if (rest.length === 1 && rest[0] === 'v2') return (serveOpenAPIV2(req, res, gitVersion), true);
  if (rest[0] !== 'v3') return false;
  const specs = specsByPath(gitVersion);
  const path = rest.slice(1).join('/');
  let body: string;
  let etag: string;
  if (path === '') {
    const paths = Object.fromEntries([...specs].map(([p, s]) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${s.hash}` }]));
    body = JSON.stringify({ paths });
    etag = createHash('sha512').update(body).digest('hex').toUpperCase();
  } else {
    const spec = specs.get(path);
    if (!spec) return false;
    ({ body, hash: etag } = spec);
  }
  if (!acceptsJson(req.headers.accept)) {
    writeStatus(res, failureStatus(406, 'NotAcceptable', 'only the following media types are accepted: application/json'));
    return true;
  }
  const immutable = query.get('hash') === etag;
  const headers = { 'Content-Type': 'application/json', ETag: `"${etag}"`, 'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private' };
  if (req.headers['if-none-match'] === `"${etag}"`) res.writeHead(304, headers).end();
  else res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
  return true;
}
