/**
 * The factors of the memory estimate, with their sources. Server memory for a LIST, per byte of its
 * response (../shared/CALIBRATION.md: the apiserver's RSS rise at the peak of N concurrent identical
 * LISTs ÷ N × response bytes):
 * - kube-apiserver 1.32.6 ("A real kube-apiserver 1.32.6", 406 Secrets of ~900 KB, a 469 MiB JSON LIST,
 *   8 GiB memory cgroup): JSON from etcd ~5.6–6.2×, JSON from the watch cache ~2.0–2.6× (resourceVersion=0,
 *   and consistent reads on etcd 3.5 where ConsistentListFromCache serves them), protobuf from etcd ~4.4×;
 *   these include what Go's collector lets the heap grow to (GOGC=100) around the live response; the
 *   storm-kube bench's single LISTs on a settled server agree (MEASURED_1_32);
 * - a 1.26 apiserver with etcd 3.4 (400 objects of ~1 MB): JSON from etcd 4.2–4.7×, from the cache
 *   1.5–1.8×, protobuf from etcd 2.2–3.0×, from the cache ~1×;
 * - paginated: memory follows the page, not the collection.
 * Newer servers change where a LIST is served from and how it is encoded, so the amplification and the
 * serving rules form a profile per upstream minor version; configuration may override any profile or add
 * one. Every number here is a default that `listgate calibrate` is meant to replace with a measurement.
 */
import type { Encoding } from '../k8s/media-type.js';

export type ListSource = 'etcd' | 'cache';
export type Amplification = Readonly<Record<Encoding, Readonly<Record<ListSource, number>>>>;

export interface ServerProfile {
  /** The first minor version the profile applies to, e.g. "1.31". */
  readonly fromVersion: string;
  /** Server bytes per response byte, by response encoding and by where the list is read from. */
  readonly amplification: Amplification;
  /**
   * ConsistentListFromCache is on in this version (KEP-2340): a consistent LIST (resourceVersion unset)
   * without limit is served from the watch cache where etcd supports it (≥ 3.4.31 / 3.5.13: progress
   * notifications); on an older etcd it is read from etcd. Which of the two an upstream does is observed
   * (consistent-read-path.ts).
   */
  readonly consistentListFromCache: boolean;
  /** LISTs with limit, continue or an exact resourceVersion are served from cache snapshots (KEP-4988). */
  readonly paginatedListFromCache: boolean;
  /** Where the numbers come from, shown to operators. */
  readonly source: string;
  /** Large responses hold less per byte (LargeResponseScale); absent: the factors hold at every size. */
  readonly largeResponse?: LargeResponseScale;
}

/**
 * What a large response holds per byte, relative to the factors: 1 up to `fromBytes` of response (or of
 * objects read from etcd, when more), falling with the logarithm of the size to `scale` at `toBytes` and
 * beyond. Go collects while a response too large for its heap's headroom is built: the buffers the
 * encoder outgrew are freed before the response ends, where a smaller response ends first.
 */
export interface LargeResponseScale {
  readonly fromBytes: number;
  readonly toBytes: number;
  readonly scale: number;
}

/** The factor of `bytes` of response under `large` (1 without it). Pure. */
export function largeResponseScale(large: LargeResponseScale | undefined, bytes: number): number {
  if (!large || bytes <= large.fromBytes) return 1;
  const along = Math.min(1, Math.log2(bytes / large.fromBytes) / Math.log2(large.toBytes / large.fromBytes));
  return 1 - (1 - large.scale) * along;
}

/** Items of a Table or PartialObjectMetadata response, per byte of the full objects (cold start). */
export interface ConversionRatio {
  readonly Table: number;
  readonly PartialObjectMetadata: number;
}

export interface Factors {
  /** The upstream minor version the profile was chosen for ("1.29"), or undefined when unknown. */
  readonly upstreamVersion: string | undefined;
  readonly profile: ServerProfile;
  /** Response bytes in each encoding per byte of the same objects in JSON. */
  readonly encodingRatio: Readonly<Record<Encoding, number>>;
  readonly conversionRatio: ConversionRatio;
  /** Bytes of a list response around its items (kind, apiVersion, metadata). */
  readonly listEnvelopeBytes: number;
  /** What a plain watch holds: buffers and one event at a time. */
  readonly watchBytes: number;
  /** What a streaming list (watch with sendInitialEvents=true) holds beyond one object at a time. */
  readonly streamingListBytes: number;
  /** Server bytes per request-body byte of a write (decode, admission, encode, etcd transaction). */
  readonly writeAmplification: number;
  /** Average object size when nothing is known about a resource (JSON bytes). */
  readonly defaultObjectBytes: number;
}

const CALIBRATED_1_26: Amplification = {
  json: { etcd: 4.5, cache: 1.75 },
  protobuf: { etcd: 2.5, cache: 1.0 },
  // Not measured: YAML is encoded as JSON first and then converted, so one more copy of the response.
  yaml: { etcd: 5.5, cache: 2.75 },
  // Not measured: priced like JSON.
  cbor: { etcd: 4.5, cache: 1.75 },
};

/**
 * Measured on kube-apiserver 1.32.6. JSON from etcd: 6.0, the middle of CALIBRATION.md's 5.6–6.2× (etcd
 * 3.4.23, resident memory per concurrent LIST), not lower: offloaded pages are continued pages; single
 * LISTs on a settled server (`npm run bench -- --only storm-kube`, etcd 3.5.21, the memory in use:
 * docs/benchmarks.md) held 4.6–5.1× for a whole 465 MiB Exact read and 6.3–6.5× per byte of a continued
 * 114 MiB page. JSON from the watch cache: 2.4; CALIBRATION.md's 2.0–2.6×, and the bench's single LISTs
 * held 2.0× for a 465 MiB LIST and 2.65–2.7× for 114–117 MiB ones (the encoder's garbage is collected
 * while a large LIST is built, not before a smaller one ends). Protobuf from etcd 4.4× (CALIBRATION.md:
 * +2.0 GiB for one LIST); from the cache 1.3 (the bench: 1.06× for a 349 MiB response; as with JSON, a
 * smaller one holds more). YAML: JSON plus one more copy of the response; CBOR as JSON.
 */
/**
 * Measured on kube-apiserver 1.32.6 (the storm-kube bench's single LISTs on a settled server, resting heap
 * ~1 GiB): JSON from the watch cache 2.64–2.7× at 114–117 MiB, 1.94–1.96× at 465 MiB (0.82 of 2.4);
 * a whole Exact read from etcd 4.56–5.11× at 465 MiB (0.76–0.85 of 6.0); protobuf from the cache 1.06×
 * at 349 MiB (0.82 of 1.3); continued 114 MiB pages from etcd 4.5–6.5×. Where the apiserver's resting heap
 * is larger, its heap goal is too and a large response holds more (up to the factors): the adaptive
 * budget reads what it really holds.
 */
const LARGE_1_32: LargeResponseScale = { fromBytes: 128 * 1024 ** 2, toBytes: 320 * 1024 ** 2, scale: 0.82 };

const MEASURED_1_32: Amplification = {
  json: { etcd: 6.0, cache: 2.4 },
  protobuf: { etcd: 4.4, cache: 1.3 },
  yaml: { etcd: 7.0, cache: 3.4 },
  cbor: { etcd: 6.0, cache: 2.4 },
};

/**
 * 1.33+: streaming collection encoders write items as they go, so the encoded response is no longer held
 * whole. Published, not measured here: the 1.33 release blog ("Streaming List responses") reports about
 * 20× less apiserver memory for large LISTs; the response's share (the cache factor) is priced at about a
 * fifth of CALIBRATION.md's 2.6× to err high, and reading from etcd still decodes the whole range first:
 * CALIBRATION.md's etcd factors less the response's share (JSON 6.0 − 2.6 + 0.5; protobuf 4.4 − 1.6 + 0.3).
 */
const STREAMING_ENCODERS: Amplification = {
  json: { etcd: 3.9, cache: 0.5 },
  protobuf: { etcd: 3.1, cache: 0.3 },
  yaml: { etcd: 7.0, cache: 3.6 },
  cbor: { etcd: 6.0 - 2.6 + 0.5, cache: 0.5 },
};

export const BUILT_IN_PROFILES: readonly ServerProfile[] = [
  {
    fromVersion: '1.0',
    amplification: CALIBRATED_1_26,
    consistentListFromCache: false,
    paginatedListFromCache: false,
    source: 'measured on a 1.26 apiserver with etcd 3.4 (CALIBRATION.md)',
  },
  {
    fromVersion: '1.31',
    amplification: MEASURED_1_32,
    largeResponse: LARGE_1_32,
    consistentListFromCache: true,
    paginatedListFromCache: false,
    source: 'measured on kube-apiserver 1.32.6 (CALIBRATION.md; the storm-kube bench); ConsistentListFromCache on by default since 1.31 (KEP-2340), where etcd supports it',
  },
  {
    fromVersion: '1.33',
    amplification: STREAMING_ENCODERS,
    consistentListFromCache: true,
    paginatedListFromCache: false,
    source: 'published, not measured: 1.33 streaming JSON/protobuf collection encoders (release blog: ~20× less memory); run listgate calibrate',
  },
  {
    fromVersion: '1.34',
    amplification: STREAMING_ENCODERS,
    consistentListFromCache: true,
    paginatedListFromCache: true,
    source: 'published, not measured: streaming encoders and the snapshottable cache (KEP-4988 beta in 1.34); run listgate calibrate',
  },
];

export const DEFAULT_FACTORS: Omit<Factors, 'upstreamVersion' | 'profile'> = {
  // Not measured: typical built-in objects are 50–75 % of their JSON in protobuf (1 MB secrets of
  // CALIBRATION.md: ~100 %). 0.75 errs high on a cold start.
  encodingRatio: { json: 1, yaml: 1, protobuf: 0.75, cbor: 0.9 },
  // Not measured: rows and metadata are usually far smaller than the objects; 0.5 errs high.
  conversionRatio: { Table: 0.5, PartialObjectMetadata: 0.5 },
  listEnvelopeBytes: 128,
  watchBytes: 64 * 1024,
  streamingListBytes: 256 * 1024,
  writeAmplification: 4,
  defaultObjectBytes: 16 * 1024,
};
