/**
 * The `estimator:` section, one key for each field of EstimatorSettings (src/estimate/create-estimator.ts),
 * with durations written as durations (`refreshInterval: 1m` ↔ refreshIntervalMs) and byte counts as
 * Kubernetes quantities (`bytes: 40Ki`):
 *
 *   estimator: { factors: { upstreamVersion, versions: { "1.31": { amplification, consistentListFromCache,
 *                           paginatedListFromCache, source } }, encodingRatio, conversionRatio,
 *                           listEnvelopeBytes, watchBytes, streamingListBytes, writeAmplification,
 *                           defaultObjectBytes },
 *                census:  { sources, refreshInterval, staleAfter, unknownCount, staleMultiplier,
 *                           probes: { maxConcurrent, minTime, queueLimit }, storageEncoding },
 *                sizes:   { seeds: [{ group, resource, bytes }], alpha, minNamespaceSamples, materialDifference,
 *                           sampling: { enabled, items, interval, wait } },
 *                uncertaintyMargin }
 *
 * Defaults are the estimator's own (DEFAULT_FACTORS and createEstimator's); the amplification factors
 * have none here because they depend on the upstream's version (src/estimate/factors.ts profiles).
 */
import { z } from 'zod';
import type { EstimatorSettings } from '../estimate/create-estimator.js';
import { DEFAULT_FACTORS } from '../estimate/factors.js';
import { parseByteQuantity } from '../k8s/quantity.js';
import { parseDuration } from './duration.js';

const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);
const positiveDuration = z.string().refine((s) => (parseDuration(s) ?? 0) > 0, 'must be a positive duration such as 30s, 1m or 500ms');
const duration = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 100ms or 1s (0 allowed)');
/** A byte count: a whole number or a Kubernetes quantity (`40Ki`, `1Mi`, `1.5G`). */
const bytes = z.union([
  z.number().int().min(0),
  z.string().refine((s) => parseByteQuantity(s) !== undefined, 'must be a byte quantity such as 40Ki, 1Mi or 1048576'),
]);
const factor = z.number().positive();
const minorVersion = z.string().regex(/^v?\d+\.\d+(\.\d+)?\+?$/, 'must be a Kubernetes version such as "1.31"');
export const CENSUS_SOURCES = ['metrics', 'probe', 'response'] as const;

const bySource = z.strictObject({ etcd: factor.optional(), cache: factor.optional() });
const profileSchema = z.strictObject({
  /** Server bytes per response byte, by response encoding and where the list is read from. */
  amplification: z.strictObject({ json: bySource.optional(), yaml: bySource.optional(), protobuf: bySource.optional(), cbor: bySource.optional() }).optional(),
  consistentListFromCache: z.boolean().optional(),
  paginatedListFromCache: z.boolean().optional(),
  source: z.string().min(1).optional(),
});

const d = DEFAULT_FACTORS;
const factorsSchema = section(
  z.strictObject({
    upstreamVersion: minorVersion.optional(),
    versions: z
      .record(minorVersion, profileSchema, { error: (issue) => (issue.code === 'invalid_key' ? 'keys must be Kubernetes minor versions such as "1.31"' : undefined) })
      .default({}),
    encodingRatio: section(
      z.strictObject({
        json: factor.default(d.encodingRatio.json),
        yaml: factor.default(d.encodingRatio.yaml),
        protobuf: factor.default(d.encodingRatio.protobuf),
        cbor: factor.default(d.encodingRatio.cbor),
      }),
    ),
    conversionRatio: section(z.strictObject({ Table: factor.default(d.conversionRatio.Table), PartialObjectMetadata: factor.default(d.conversionRatio.PartialObjectMetadata) })),
    listEnvelopeBytes: bytes.default(d.listEnvelopeBytes),
    watchBytes: bytes.default(d.watchBytes),
    streamingListBytes: bytes.default(d.streamingListBytes),
    writeAmplification: factor.default(d.writeAmplification),
    defaultObjectBytes: bytes.default(d.defaultObjectBytes),
  }),
);

const censusSchema = section(
  z
    .strictObject({
      sources: z
        .array(z.enum(CENSUS_SOURCES))
        .min(1)
        .refine((list) => new Set(list).size === list.length, 'must not name a source twice')
        .default([...CENSUS_SOURCES]),
      refreshInterval: positiveDuration.default('1m'),
      staleAfter: positiveDuration.default('5m'),
      unknownCount: z.number().int().min(0).default(1000),
      staleMultiplier: z.number().min(1).default(2),
      probes: section(z.strictObject({ maxConcurrent: z.number().int().min(1).default(2), minTime: duration.default('100ms'), queueLimit: z.number().int().min(0).default(100) })),
      storageEncoding: z.enum(['auto', 'json', 'protobuf']).default('auto'),
    })
    .superRefine((census, ctx) => {
      const refresh = parseDuration(census.refreshInterval);
      const stale = parseDuration(census.staleAfter);
      if (refresh !== undefined && stale !== undefined && stale <= refresh) {
        ctx.addIssue({ code: 'custom', path: ['staleAfter'], message: 'must be longer than estimator.census.refreshInterval (counts would go stale between refreshes)' });
      }
    }),
);

const sizesSchema = section(
  z.strictObject({
    seeds: z.array(z.strictObject({ group: z.string().default(''), resource: z.string().min(1), bytes })).default([]),
    alpha: z.number().gt(0).max(1).default(0.3),
    minNamespaceSamples: z.number().int().min(1).default(3),
    materialDifference: z.number().positive().default(0.25),
    sampling: section(
      z.strictObject({
        enabled: z.boolean().default(true),
        items: z.number().int().min(1).max(500).default(10),
        interval: positiveDuration.default('10m'),
        wait: duration.default('5s'),
      }),
    ),
  }),
);

export const estimatorSchema = section(
  z.strictObject({ factors: factorsSchema, census: censusSchema, sizes: sizesSchema, uncertaintyMargin: z.number().min(1).max(10).default(1.5) }),
);

export type EstimatorDocument = z.output<typeof estimatorSchema>;

const toBytes = (value: number | string): number => (typeof value === 'number' ? value : parseByteQuantity(value)!);

/** The validated section as the estimator's settings (milliseconds and bytes as numbers). */
export function completeEstimator(doc: EstimatorDocument): EstimatorSettings {
  const { factors: f, census: c, sizes: s } = doc;
  return {
    factors: {
      ...(f.upstreamVersion !== undefined ? { upstreamVersion: f.upstreamVersion } : {}),
      versions: f.versions,
      encodingRatio: { ...f.encodingRatio },
      conversionRatio: { ...f.conversionRatio },
      listEnvelopeBytes: toBytes(f.listEnvelopeBytes),
      watchBytes: toBytes(f.watchBytes),
      streamingListBytes: toBytes(f.streamingListBytes),
      writeAmplification: f.writeAmplification,
      defaultObjectBytes: toBytes(f.defaultObjectBytes),
    },
    census: {
      sources: [...c.sources],
      refreshIntervalMs: parseDuration(c.refreshInterval)!,
      staleAfterMs: parseDuration(c.staleAfter)!,
      unknownCount: c.unknownCount,
      staleMultiplier: c.staleMultiplier,
      probes: { maxConcurrent: c.probes.maxConcurrent, minTimeMs: parseDuration(c.probes.minTime)!, queueLimit: c.probes.queueLimit },
      storageEncoding: c.storageEncoding,
    },
    sizes: {
      seeds: s.seeds.map((seed) => ({ group: seed.group, resource: seed.resource, bytes: toBytes(seed.bytes) })),
      alpha: s.alpha,
      minNamespaceSamples: s.minNamespaceSamples,
      materialDifference: s.materialDifference,
      sampling: { enabled: s.sampling.enabled, items: s.sampling.items, intervalMs: parseDuration(s.sampling.interval)!, waitMs: parseDuration(s.sampling.wait)! },
    },
    uncertaintyMargin: doc.uncertaintyMargin,
  };
}
