/**
 * A tiny encoder for Kubernetes protobuf list responses, for tests: the `k8s\0` magic, a runtime.Unknown
 * { typeMeta = 1; raw = 2; contentEncoding = 3; contentType = 4 } and, as raw, a list
 * { metadata = 1 (ListMeta { resourceVersion = 2; continue = 3; remainingItemCount = 4 }); items = 2 }
 * (a Table: columnDefinitions = 2, rows = 3). Items are opaque bytes here.
 */

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 128) {
    bytes.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function bytesField(num: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([varint(num * 8 + 2), varint(body.length), body]);
}

export interface ProtobufListSpec {
  items: Buffer[];
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Column definitions of a Table (field 2), each a small opaque message. */
  columns?: number;
  itemField?: number;
}

export function protobufList(spec: ProtobufListSpec): Buffer {
  const meta = Buffer.concat([
    spec.resourceVersion !== undefined ? bytesField(2, spec.resourceVersion) : Buffer.alloc(0),
    spec.continue !== undefined ? bytesField(3, spec.continue) : Buffer.alloc(0),
    spec.remainingItemCount !== undefined ? Buffer.concat([varint(4 * 8), varint(spec.remainingItemCount)]) : Buffer.alloc(0),
  ]);
  const list = Buffer.concat([
    bytesField(1, meta),
    ...Array.from({ length: spec.columns ?? 0 }, (_, i) => bytesField(2, `column-${i}`)),
    ...spec.items.map((item) => bytesField(spec.itemField ?? 2, item)),
  ]);
  const typeMeta = Buffer.concat([bytesField(1, 'v1'), bytesField(2, 'SecretList')]);
  const unknown = Buffer.concat([bytesField(1, typeMeta), bytesField(2, list), bytesField(3, ''), bytesField(4, 'application/vnd.kubernetes.protobuf')]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}
