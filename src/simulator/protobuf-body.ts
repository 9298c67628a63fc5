/**
 * Decodes the protobuf request bodies kubectl's typed clients send (`kubectl create configmap|secret|
 * namespace` use Content-Type application/vnd.kubernetes.protobuf). The wire form is the 4-byte magic
 * `k8s\0` followed by a runtime.Unknown (k8s.io/apimachinery/pkg/runtime/generated.proto: typeMeta = 1
 * {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4) whose `raw` is the object.
 * Field numbers come from the `protobuf:"…"` tags in k8s.io/api/core/v1/types.go and
 * k8s.io/apimachinery/pkg/apis/meta/v1/types.go. Only the kinds kubectl creates from flags, and the
 * reviews of `kubectl auth can-i` (protobuf-authorization.ts), are decoded;
 * anything else is reported as unsupported (the simulator answers 415 and asks for JSON).
 */

import { decodeSelfSubjectAccessReview, decodeSelfSubjectRulesReview } from './protobuf-authorization.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { no: number; wire: number; value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, next] = readVarint(buf, pos);
      fields.push({ no, wire, value: v });
      pos = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(buf, pos);
      const end = next + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      fields.push({ no, wire, value: buf.subarray(next, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      fields.push({ no, wire, value: buf.subarray(pos, pos + size) });
      pos += size;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return fields;
}

const bytesOf = (f: Field): Buffer => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const text = (f: Field): string => bytesOf(f).toString('utf8');

function mapEntries(fields: Field[], no: number, value: (f: Field) => string): Record<string, string> | undefined {
  const entries = fields.filter((f) => f.no === no);
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = readFields(bytesOf(e));
    const k = kv.find((f) => f.no === 1);
    const v = kv.find((f) => f.no === 2);
    out[k ? text(k) : ''] = v ? value(v) : '';
  }
  return out;
}

function decodeObjectMeta(buf: Buffer): Record<string, unknown> {
  const fields = readFields(buf);
  const meta: Record<string, unknown> = {};
  const strings: [number, string][] = [[1, 'name'], [2, 'generateName'], [3, 'namespace'], [5, 'uid'], [6, 'resourceVersion']];
  for (const [no, key] of strings) {
    const f = fields.find((x) => x.no === no);
    if (f) meta[key] = text(f);
  }
  const labels = mapEntries(fields, 11, text);
  if (labels) meta.labels = labels;
  const annotations = mapEntries(fields, 12, text);
  if (annotations) meta.annotations = annotations;
  const finalizers = fields.filter((f) => f.no === 14).map(text);
  if (finalizers.length > 0) meta.finalizers = finalizers;
  return meta;
}

const base64 = (f: Field): string => bytesOf(f).toString('base64');

type Decoder = (fields: Field[]) => Record<string, unknown>;

const DECODERS: Record<string, Decoder> = {
  'v1/ConfigMap': (fields) => {
    const out: Record<string, unknown> = {};
    const data = mapEntries(fields, 2, text);
    if (data) out.data = data;
    const binaryData = mapEntries(fields, 3, base64);
    if (binaryData) out.binaryData = binaryData;
    const immutable = fields.find((f) => f.no === 4);
    if (immutable) out.immutable = immutable.value === 1n;
    return out;
  },
  'v1/Secret': (fields) => {
    const out: Record<string, unknown> = {};
    const data = mapEntries(fields, 2, base64);
    if (data) out.data = data;
    const type = fields.find((f) => f.no === 3);
    if (type) out.type = text(type);
    const stringData = mapEntries(fields, 4, text);
    if (stringData) out.stringData = stringData;
    const immutable = fields.find((f) => f.no === 5);
    if (immutable) out.immutable = immutable.value === 1n;
    return out;
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': (fields) => decodeSelfSubjectAccessReview(readFields, fields),
  'authorization.k8s.io/v1/SelfSubjectRulesReview': (fields) => decodeSelfSubjectRulesReview(readFields, fields),
  'v1/Namespace': (fields) => {
    const spec = fields.find((f) => f.no === 2);
    const finalizers = spec ? readFields(bytesOf(spec)).filter((f) => f.no === 1).map(text) : [];
    return finalizers.length > 0 ? { spec: { finalizers } } : {};
  },
};

export class UnsupportedProtobufError extends Error {}

export function isProtobufBody(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** The JSON form of a protobuf-encoded object; throws UnsupportedProtobufError for kinds it cannot decode. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!isProtobufBody(body)) throw new UnsupportedProtobufError('missing the k8s protobuf magic prefix');
  let unknown: Field[];
  try {
    unknown = readFields(body.subarray(4));
  } catch (err) {
    throw new UnsupportedProtobufError(`malformed protobuf envelope: ${(err as Error).message}`);
  }
  const typeMetaField = unknown.find((f) => f.no === 1);
  const typeMeta = typeMetaField ? readFields(bytesOf(typeMetaField)) : [];
  const apiVersion = typeMeta.find((f) => f.no === 1);
  const kind = typeMeta.find((f) => f.no === 2);
  const gvk = `${apiVersion ? text(apiVersion) : ''}/${kind ? text(kind) : ''}`;
  const decoder = DECODERS[gvk];
  if (!decoder) throw new UnsupportedProtobufError(`protobuf bodies of ${gvk} are not supported by the simulator; send JSON`);
  const raw = unknown.find((f) => f.no === 2);
  try {
    const fields = readFields(raw ? bytesOf(raw) : Buffer.alloc(0));
    const metaField = fields.find((f) => f.no === 1);
    return {
      apiVersion: apiVersion ? text(apiVersion) : 'v1',
      kind: kind ? text(kind) : '',
      metadata: metaField ? decodeObjectMeta(bytesOf(metaField)) : {},
      ...decoder(fields),
    };
  } catch (err) {
    throw new UnsupportedProtobufError(`malformed protobuf ${gvk}: ${(err as Error).message}`);
  }
}

/** The decoded body for the simulator's body reader (throws on bodies it cannot decode). */
export const decodeProtobufBody = decodeProtobufObject;
