/**
 * Field numbers of the authorization.k8s.io/v1 reviews kubectl sends as protobuf (k8s.io/api/authorization/v1
 * generated.proto): SelfSubjectAccessReview {metadata = 1, spec = 2}, its spec {resourceAttributes = 1,
 * nonResourceAttributes = 2}, ResourceAttributes {namespace = 1, verb = 2, group = 3, version = 4,
 * resource = 5, subresource = 6, name = 7}, NonResourceAttributes {path = 1, verb = 2}, and
 * SelfSubjectRulesReview {metadata = 1, spec = 2 {namespace = 1}}.
 */

export interface ProtoField {
  no: number;
  value: bigint | Buffer;
}

export type FieldReader = (buf: Buffer) => ProtoField[];

const text = (f: ProtoField | undefined): string => (f && Buffer.isBuffer(f.value) ? f.value.toString('utf8') : '');
const bytes = (f: ProtoField | undefined): Buffer => (f && Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));

/** The non-empty string fields of a message, by name. */
function strings(read: FieldReader, buf: Buffer, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of read(buf)) {
    const name = names[f.no];
    if (name && text(f) !== '') out[name] = text(f);
  }
  return out;
}

const RESOURCE_ATTRIBUTES = { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' };
const NON_RESOURCE_ATTRIBUTES = { 1: 'path', 2: 'verb' };

export function decodeSelfSubjectAccessReview(read: FieldReader, fields: ProtoField[]): Record<string, unknown> {
  const specField = fields.find((f) => f.no === 2);
  if (!specField) return {};
  const spec: Record<string, unknown> = {};
  for (const f of read(bytes(specField))) {
    if (f.no === 1) spec.resourceAttributes = strings(read, bytes(f), RESOURCE_ATTRIBUTES);
    if (f.no === 2) spec.nonResourceAttributes = strings(read, bytes(f), NON_RESOURCE_ATTRIBUTES);
  }
  return { spec };
}

export function decodeSelfSubjectRulesReview(read: FieldReader, fields: ProtoField[]): Record<string, unknown> {
  const specField = fields.find((f) => f.no === 2);
  return { spec: specField ? strings(read, bytes(specField), { 1: 'namespace' }) : {} };
}
