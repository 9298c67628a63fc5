/**
 * The size model: average serialized bytes per object, per resource and per namespace, learned as an
 * exponentially weighted moving average of the LIST responses that pass through (item bytes ÷ items).
 * Every value is JSON-equivalent: protobuf (or YAML, CBOR) observations are divided by the encoding's
 * ratio to JSON, so one model serves clients of every encoding. A namespace's own average is used only
 * when it has enough samples and differs materially from the resource's (Helm release secrets), and a
 * namespaced observation moves the resource average only until a cluster-wide list has been seen, so
 * busy namespaces don't skew it. Table and PartialObjectMetadata items are learned apart (per resource):
 * they are what the response holds, while the server still loads the full objects.
 * Before any whole response: a configured seed, then a sample (the first items of the collection, read
 * by size-sampler.ts before the first LIST of a resource is priced), then one from the apiserver's size
 * metric (1.34+), then the default.
 * A namespace is never priced below what the evidence allows: one with no samples of its own at the
 * largest per-item bytes any page of the resource has shown (`ceiling`: a page is a slice of the
 * collection in key order, often of one namespace), not below the resource's average (an underestimate
 * hurts admission; an overestimate only costs budget).
 */
import type { Conversion, Encoding } from '../k8s/media-type.js';
import { DEFAULT_FACTORS } from './factors.js';

export type SizeSource = 'namespace' | 'resource' | 'ceiling' | 'config' | 'sample' | 'metrics' | 'default';
export type ConvertedAs = 'Table' | 'PartialObjectMetadata';

export interface SizeEstimate {
  /** JSON-equivalent bytes per object (or per converted item). */
  bytes: number;
  source: SizeSource;
  samples: number;
}

export interface SizeView {
  averageBytes(group: string, resource: string, namespace?: string): SizeEstimate;
  /** Learned bytes per item of a converted response; undefined until one was observed. */
  convertedBytes(group: string, resource: string, as: ConvertedAs): SizeEstimate | undefined;
  /** Learned bytes of a list response around its items (a Table's column definitions); JSON-equivalent. */
  envelopeBytes(group: string, resource: string, as: Conversion): number | undefined;
}

export interface SizeObservation {
  group: string;
  resource: string;
  /** Empty or undefined for a cluster-wide list. */
  namespace?: string;
  /** Decoded bytes of the items alone, in `encoding` (no list envelope, no gzip). */
  bytes: number;
  items: number;
  /** Decoded bytes of the rest of the response, when known. */
  envelopeBytes?: number;
  encoding: Encoding;
  as?: Conversion;
}

export interface SizeSeed {
  group: string;
  resource: string;
  /** JSON-equivalent bytes per object. */
  bytes: number;
  source: 'config' | 'sample' | 'metrics';
}

export interface SizeEntry {
  group: string;
  resource: string;
  as: 'object' | ConvertedAs;
  bytes: number;
  source: SizeSource;
  samples: number;
  ageSeconds: number;
}

export interface SizeModel extends SizeView {
  observe(o: SizeObservation): void;
  /**
   * A slice of the collection that is no sample of its average (one page): only raises the resource's
   * ceiling, the largest per-item bytes seen, which prices namespaces not sampled yet.
   */
  observeSlice(o: SizeObservation): void;
  seed(seeds: readonly SizeSeed[]): void;
  /** New tunables and configured seeds in place (a reload); what was learned is kept. */
  reconfigure(next: SizeModelSettings): void;
  /** Resource-level values (namespace splits are not listed), for metrics and `listgate estimate`. */
  entries(): SizeEntry[];
}

export interface SizeModelOptions {
  seed?: readonly SizeSeed[];
  now: () => number;
  encodingRatio?: Readonly<Record<Encoding, number>>;
  defaultObjectBytes?: number;
  /** Weight of a new observation (0–1]. */
  alpha?: number;
  minNamespaceSamples?: number;
  /** |namespace ÷ resource − 1| at or above which a namespace is priced on its own. */
  materialDifference?: number;
  maxNamespaceEntries?: number;
}

/** What a reload may change; `seeds` replace the configured seeds (a seed no longer configured is dropped). */
export type SizeModelSettings = Pick<SizeModelOptions, 'encodingRatio' | 'defaultObjectBytes' | 'alpha' | 'minNamespaceSamples' | 'materialDifference'> & {
  seeds: readonly SizeSeed[];
};

interface Average {
  bytes: number;
  samples: number;
  clusterSamples: number;
  updatedAt: number;
}

const key = (...parts: string[]): string => parts.join('\u0000');

export function createSizeModel(opts: SizeModelOptions): SizeModel {
  let ratio = opts.encodingRatio ?? DEFAULT_FACTORS.encodingRatio;
  let alpha = opts.alpha ?? 0.3;
  let minNs = opts.minNamespaceSamples ?? 3;
  let material = opts.materialDifference ?? 0.25;
  const maxNs = opts.maxNamespaceEntries ?? 10_000;
  let defaultBytes = opts.defaultObjectBytes ?? DEFAULT_FACTORS.defaultObjectBytes;
  const learned = new Map<string, Average>();
  const perNamespace = new Map<string, Average>();
  const seeds = new Map<string, SizeSeed>();
  const envelopes = new Map<string, Average>();
  const ceilings = new Map<string, number>();
  const raise = (k: string, perItem: number): void => {
    if (perItem > (ceilings.get(k) ?? 0)) ceilings.set(k, perItem);
  };
  const asKey = (as: Conversion | undefined): 'object' | ConvertedAs => (as === undefined || as === 'object' ? 'object' : as === 'Table' ? 'Table' : 'PartialObjectMetadata');

  const update = (map: Map<string, Average>, k: string, value: number, cluster: boolean): void => {
    const prev = map.get(k);
    const next: Average = prev
      ? { bytes: prev.bytes + alpha * (value - prev.bytes), samples: prev.samples + 1, clusterSamples: prev.clusterSamples + (cluster ? 1 : 0), updatedAt: opts.now() }
      : { bytes: value, samples: 1, clusterSamples: cluster ? 1 : 0, updatedAt: opts.now() };
    if (map === perNamespace) {
      map.delete(k); // re-inserted last: the oldest entry is the first to go
      if (map.size >= maxNs) map.delete(map.keys().next().value!);
    }
    map.set(k, next);
  };

  const fromSeedOrDefault = (group: string, resource: string): SizeEstimate => {
    const s = seeds.get(key(group, resource));
    return s ? { bytes: s.bytes, source: s.source, samples: 0 } : { bytes: defaultBytes, source: 'default', samples: 0 };
  };

  const model: SizeModel = {
    observe(o) {
      const as = asKey(o.as);
      if (o.envelopeBytes !== undefined && o.envelopeBytes >= 0) {
        update(envelopes, key(o.group, o.resource, as), o.envelopeBytes / (ratio[o.encoding] || 1), true);
      }
      if (!(o.items > 0) || !(o.bytes > 0)) return;
      const perItem = o.bytes / o.items / (ratio[o.encoding] || 1);
      if (as !== 'object') {
        update(learned, key(o.group, o.resource, as), perItem, true);
        return;
      }
      const resourceKey = key(o.group, o.resource);
      if (!o.namespace) {
        update(learned, resourceKey, perItem, true);
        return;
      }
      update(perNamespace, key(o.group, o.resource, o.namespace), perItem, false);
      if ((learned.get(resourceKey)?.clusterSamples ?? 0) === 0) update(learned, resourceKey, perItem, false);
    },
    observeSlice(o) {
      if (asKey(o.as) !== 'object' || !(o.items > 0) || !(o.bytes > 0)) return;
      raise(key(o.group, o.resource), o.bytes / o.items / (ratio[o.encoding] || 1));
    },
    seed(list) {
      for (const s of list) {
        if (!(s.bytes > 0)) continue;
        const k = key(s.group, s.resource);
        // A configured seed is the operator's word; a sample of the collection beats the size metric.
        const held = seeds.get(k)?.source;
        if (held === 'config' && s.source !== 'config') continue;
        if (held === 'sample' && s.source === 'metrics') continue;
        seeds.set(k, s);
      }
    },
    reconfigure(next) {
      ratio = next.encodingRatio ?? DEFAULT_FACTORS.encodingRatio;
      alpha = next.alpha ?? 0.3;
      minNs = next.minNamespaceSamples ?? 3;
      material = next.materialDifference ?? 0.25;
      defaultBytes = next.defaultObjectBytes ?? DEFAULT_FACTORS.defaultObjectBytes;
      for (const [k, s] of seeds) if (s.source === 'config') seeds.delete(k);
      model.seed(next.seeds);
    },
    averageBytes(group, resource, namespace) {
      const res = learned.get(key(group, resource));
      const base: SizeEstimate = res ? { bytes: res.bytes, source: 'resource', samples: res.samples } : fromSeedOrDefault(group, resource);
      if (!namespace) return base;
      const ns = perNamespace.get(key(group, resource, namespace));
      if (!ns) {
        const ceiling = ceilings.get(key(group, resource)) ?? 0;
        return ceiling > base.bytes ? { bytes: ceiling, source: 'ceiling', samples: base.samples } : base;
      }
      if (ns.samples >= minNs && Math.abs(ns.bytes / base.bytes - 1) >= material) return { bytes: ns.bytes, source: 'namespace', samples: ns.samples };
      return base;
    },
    convertedBytes(group, resource, as) {
      const c = learned.get(key(group, resource, as));
      return c ? { bytes: c.bytes, source: 'resource', samples: c.samples } : undefined;
    },
    envelopeBytes(group, resource, as) {
      return envelopes.get(key(group, resource, asKey(as)))?.bytes;
    },
    entries() {
      const out: SizeEntry[] = [];
      const now = opts.now();
      for (const [k, s] of seeds) {
        if (!learned.has(k)) out.push({ group: s.group, resource: s.resource, as: 'object', bytes: s.bytes, source: s.source, samples: 0, ageSeconds: 0 });
      }
      for (const [k, a] of learned) {
        const [group = '', resource = '', as = 'object'] = k.split('\u0000');
        const ageSeconds = Math.max(0, (now - a.updatedAt) / 1000);
        out.push({ group, resource, as: as as SizeEntry['as'], bytes: a.bytes, source: 'resource', samples: a.samples, ageSeconds });
      }
      return out;
    },
  };
  if (opts.seed) model.seed(opts.seed);
  return model;
}
