/**
 * Accept-header representations the apiserver negotiates: the encoding (JSON, YAML, protobuf, CBOR)
 * and the conversion target (`as=Table`, `as=PartialObjectMetadata[List]`, or the object itself).
 */

export type Encoding = 'json' | 'yaml' | 'protobuf' | 'cbor';
export type Conversion = 'object' | 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

export interface Representation {
  encoding: Encoding;
  as: Conversion;
  /** The media type as the client wrote it (first acceptable entry). */
  mediaType: string;
}

interface AcceptEntry {
  type: string;
  params: Map<string, string>;
  q: number;
  index: number;
}

const ENCODINGS: Record<string, Encoding> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/vnd.kubernetes.protobuf': 'protobuf',
  'application/cbor': 'cbor',
  '*/*': 'json',
  'application/*': 'json',
};

export function parseAccept(header: string | undefined): AcceptEntry[] {
  if (!header) return [];
  return header
    .split(',')
    .map((raw, index) => {
      const [typePart, ...paramParts] = raw.split(';');
      const params = new Map<string, string>();
      for (const p of paramParts) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
      }
      const q = params.has('q') ? Number.parseFloat(params.get('q')!) : 1;
      return { type: (typePart ?? '').trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 1, index };
    })
    .filter((e) => e.type !== '' && e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
}

function conversionOf(entry: AcceptEntry): Conversion | undefined {
  const as = entry.params.get('as');
  if (as === undefined) return 'object';
  const g = entry.params.get('g');
  if (g !== 'meta.k8s.io') return undefined;
  if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return as;
  return undefined;
}

/**
 * The representation the apiserver would pick: the first acceptable entry in the client's preference
 * order. `supported` narrows the encodings the server offers (the simulator speaks JSON and YAML only).
 * Returns undefined when nothing is acceptable (the apiserver answers 406).
 */
export function negotiateRepresentation(
  header: string | undefined,
  supported: readonly Encoding[] = ['json', 'yaml', 'protobuf', 'cbor'],
): Representation | undefined {
  const entries = parseAccept(header);
  if (entries.length === 0) return { encoding: 'json', as: 'object', mediaType: 'application/json' };
  for (const entry of entries) {
    const encoding = ENCODINGS[entry.type];
    if (encoding === undefined || !supported.includes(encoding)) continue;
    const as = conversionOf(entry);
    if (as === undefined) continue;
    return { encoding, as, mediaType: entry.type === '*/*' || entry.type === 'application/*' ? 'application/json' : entry.type };
  }
  return undefined;
}
