/**
 * Factors completed from configuration and the upstream's version: the profile in force is the one with
 * the highest `fromVersion` not above the upstream's minor version, built-in or configured; a configured
 * entry for the same version overlays the built-in one field by field. An unknown upstream version (not
 * read yet: the apiserver may be down while the gateway starts) gets the dearest profile: the one whose
 * JSON-from-etcd factor is highest.
 */
import type { Encoding } from '../k8s/media-type.js';
import {
  BUILT_IN_PROFILES,
  DEFAULT_FACTORS,
  type Amplification,
  type ConversionRatio,
  type Factors,
  type ListSource,
  type ServerProfile,
} from './factors.js';

export interface ProfileSettings {
  amplification?: Partial<Record<Encoding, Partial<Record<ListSource, number>>>>;
  consistentListFromCache?: boolean;
  paginatedListFromCache?: boolean;
  source?: string;
}

/** The estimator's configuration, as plain data (what the config file's `estimate.factors` holds). */
export interface FactorSettings {
  /** Use this version's profile instead of the version the upstream reports. */
  upstreamVersion?: string;
  /** Keyed by minor version ("1.29"): applies from that version up to the next profile. */
  versions?: Record<string, ProfileSettings>;
  encodingRatio?: Partial<Record<Encoding, number>>;
  conversionRatio?: Partial<ConversionRatio>;
  listEnvelopeBytes?: number;
  watchBytes?: number;
  streamingListBytes?: number;
  writeAmplification?: number;
  defaultObjectBytes?: number;
}

/** "v1.29.3", "1.29", "1.29+" or `{major:"1", minor:"29+"}` from /version → [1, 29]; undefined otherwise. */
export function parseMinorVersion(version: string | { major: string; minor: string } | undefined): [number, number] | undefined {
  if (version === undefined) return undefined;
  const text = typeof version === 'string' ? version : `${version.major}.${version.minor}`;
  const m = /^v?(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compareVersions(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

function mergeAmplification(base: Amplification, over: ProfileSettings['amplification']): Amplification {
  if (!over) return base;
  const out = {} as Record<Encoding, Record<ListSource, number>>;
  for (const enc of Object.keys(base) as Encoding[]) out[enc] = { ...base[enc], ...over[enc] };
  return out;
}

function profileFor(version: [number, number] | undefined, settings: FactorSettings): ServerProfile {
  const keys = new Map<string, [number, number]>();
  for (const p of BUILT_IN_PROFILES) keys.set(p.fromVersion, parseMinorVersion(p.fromVersion)!);
  for (const k of Object.keys(settings.versions ?? {})) {
    const parsed = parseMinorVersion(k);
    if (parsed) keys.set(`${parsed[0]}.${parsed[1]}`, parsed);
  }
  const ordered = [...keys.entries()].sort((a, b) => compareVersions(a[1], b[1]));
  const dearest = [...BUILT_IN_PROFILES].sort((a, b) => b.amplification.json.etcd - a.amplification.json.etcd)[0]!;
  const chosen =
    version === undefined ? ordered.find(([k]) => k === dearest.fromVersion)! : (ordered.filter(([, v]) => compareVersions(v, version) <= 0).pop() ?? ordered[0]!);
  const builtIn = [...BUILT_IN_PROFILES].filter((p) => compareVersions(parseMinorVersion(p.fromVersion)!, chosen[1]) <= 0).pop()!;
  const override = Object.entries(settings.versions ?? {}).find(([k]) => {
    const parsed = parseMinorVersion(k);
    return parsed !== undefined && compareVersions(parsed, chosen[1]) === 0;
  })?.[1];
  if (!override) return builtIn;
  return {
    fromVersion: chosen[0],
    amplification: mergeAmplification(builtIn.amplification, override.amplification),
    consistentListFromCache: override.consistentListFromCache ?? builtIn.consistentListFromCache,
    paginatedListFromCache: override.paginatedListFromCache ?? builtIn.paginatedListFromCache,
    source: override.source ?? `configured for ${chosen[0]} over: ${builtIn.source}`,
  };
}

/** Completes the factors for an upstream; `upstreamVersion` is what its /version reports, if known. */
export function resolveFactors(settings: FactorSettings = {}, upstreamVersion?: string): Factors {
  const version = parseMinorVersion(settings.upstreamVersion ?? upstreamVersion);
  const d = DEFAULT_FACTORS;
  return {
    upstreamVersion: version ? `${version[0]}.${version[1]}` : undefined,
    profile: profileFor(version, settings),
    encodingRatio: { ...d.encodingRatio, ...settings.encodingRatio },
    conversionRatio: { ...d.conversionRatio, ...settings.conversionRatio },
    listEnvelopeBytes: settings.listEnvelopeBytes ?? d.listEnvelopeBytes,
    watchBytes: settings.watchBytes ?? d.watchBytes,
    streamingListBytes: settings.streamingListBytes ?? d.streamingListBytes,
    writeAmplification: settings.writeAmplification ?? d.writeAmplification,
    defaultObjectBytes: settings.defaultObjectBytes ?? d.defaultObjectBytes,
  };
}
