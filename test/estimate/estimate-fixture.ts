/**
 * Builds estimator inputs the way the gateway will (src/k8s RequestInfo, ListOptions, Representation from
 * a method, URL and Accept header) and real census / size / selectivity models on an injected clock.
 */
import Bottleneck from 'bottleneck';
import { parseListOptions } from '../../src/k8s/list-options.js';
import { negotiateRepresentation } from '../../src/k8s/media-type.js';
import { resolveRequestInfo } from '../../src/k8s/request-info.js';
import { createCensus, type Census, type CensusOptions } from '../../src/estimate/census.js';
import type { EstimateInput } from '../../src/estimate/estimate-types.js';
import { createSelectivityModel, type SelectivityModel } from '../../src/estimate/selectivity-model.js';
import { createSizeModel, type SizeModel } from '../../src/estimate/size-model.js';

export const ACCEPT = {
  json: 'application/json',
  protobuf: 'application/vnd.kubernetes.protobuf',
  yaml: 'application/yaml',
  table: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  partial: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  html: 'text/html',
} as const;

export function inputOf(method: string, url: string, accept?: string, bodyBytes?: number): EstimateInput {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  return {
    info: resolveRequestInfo(method, path, query),
    options: parseListOptions(query),
    representation: negotiateRepresentation(accept),
    ...(bodyBytes !== undefined ? { bodyBytes } : {}),
  };
}

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function createClock(start = 1_700_000_000_000): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface Models {
  clock: Clock;
  census: Census;
  sizes: SizeModel;
  selectivity: SelectivityModel;
}

export function createModels(overrides: Partial<CensusOptions> = {}): Models {
  const clock = createClock();
  const census = createCensus({
    sources: ['metrics', 'probe', 'response'],
    limiter: new Bottleneck({ maxConcurrent: 1 }),
    now: clock.now,
    refreshIntervalMs: 30_000,
    staleAfterMs: 120_000,
    conservative: { unknownCount: 1000, staleMultiplier: 2 },
    ...overrides,
  });
  return { clock, census, sizes: createSizeModel({ now: clock.now }), selectivity: createSelectivityModel(), };
}
