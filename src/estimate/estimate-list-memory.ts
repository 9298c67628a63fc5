/**
 * estimate: the bytes kube-apiserver will hold to answer a request, by request class, with the reason
 * for each step recorded for operators (`listgate estimate` prints them):
 * - LIST: estimate-list.ts (census × size model × representation × amplification);
 * - DELETECOLLECTION: a LIST of the whole range from etcd, then deletes;
 * - streaming list (watch with sendInitialEvents=true) and plain watch: a small constant; the server
 *   sends one event at a time from the watch cache;
 * - GET of one object: one object, amplified like a list of one;
 * - writes: the body, amplified (decode, admission, encode, etcd transaction);
 * - everything else (discovery, logs, exec, port-forward, proxy, a 406): nothing from storage.
 * Pure and framework-free: the deps are read-only views, and nothing here waits or counts.
 */
import { estimateList } from './estimate-list.js';
import type { Estimate, EstimateClass, EstimateDeps, EstimateInput } from './estimate-types.js';
import { formatBytes } from './format-bytes.js';

export type { Estimate, EstimateClass, EstimateDeps, EstimateInput } from './estimate-types.js';

const STREAM_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

function constant(cls: EstimateClass, bytes: number, reasons: string[]): Estimate {
  return {
    class: cls,
    source: cls === 'watch' || cls === 'streaming-list' ? 'cache' : undefined,
    objects: 0,
    averageObjectBytes: 0,
    responseBytes: 0,
    factor: 0,
    estimatedBytes: bytes,
    reasons,
    countSource: 'none',
    countAgeSeconds: undefined,
    sizeSource: 'none',
    confidence: 'high',
  };
}

function estimateGet(input: EstimateInput, deps: EstimateDeps): Estimate {
  const { info, options, factors } = { ...input, factors: deps.factors };
  const rep = input.representation ?? { encoding: 'json' as const, as: 'object' as const, mediaType: 'application/json' };
  const size = deps.sizes.averageBytes(info.apiGroup, info.resource, info.namespace || undefined);
  const source = options.resourceVersion === undefined ? 'etcd' : 'cache';
  const amp = factors.profile.amplification[rep.encoding][source];
  const responseBytes = Math.round(size.bytes * factors.encodingRatio[rep.encoding]);
  const estimatedBytes = Math.ceil(responseBytes * amp);
  const what = `${info.resource}${info.subresource ? `/${info.subresource}` : ''} ${info.name}`;
  return {
    class: 'get',
    source,
    objects: 1,
    averageObjectBytes: size.bytes,
    responseBytes,
    factor: amp,
    estimatedBytes,
    reasons: [
      `GET ${what}: one object`,
      source === 'etcd' ? 'resourceVersion unset: a consistent read from etcd' : `resourceVersion=${options.resourceVersion}: served from the watch cache`,
      `object ${formatBytes(size.bytes)} as JSON (${size.source}); ${rep.encoding} ${amp}× (${factors.profile.source})`,
      `≈ ${formatBytes(estimatedBytes)} held by the apiserver`,
    ],
    countSource: 'none',
    countAgeSeconds: undefined,
    sizeSource: size.source,
    confidence: size.source === 'resource' || size.source === 'namespace' ? 'high' : size.source === 'default' ? 'low' : 'medium',
  };
}

function estimateWrite(input: EstimateInput, deps: EstimateDeps): Estimate {
  const { info } = input;
  const amp = deps.factors.writeAmplification;
  const known = input.bodyBytes !== undefined && input.bodyBytes >= 0;
  const size = deps.sizes.averageBytes(info.apiGroup, info.resource, info.namespace || undefined);
  const bytes = known ? input.bodyBytes! : size.bytes;
  const estimatedBytes = Math.ceil(bytes * amp);
  return {
    ...constant('write', estimatedBytes, [
      `${info.verb.toUpperCase()} ${info.resource}${info.name ? ` ${info.name}` : ''}`,
      known ? `request body ${formatBytes(bytes)}` : `body size unknown: priced as one object of ${formatBytes(bytes)} (${size.source})`,
      `write amplification ${amp}× (decode, admission, encode, etcd transaction): ≈ ${formatBytes(estimatedBytes)}`,
    ]),
    objects: 1,
    averageObjectBytes: size.bytes,
    sizeSource: known ? 'body' : size.source,
  };
}

export function estimateRequest(input: EstimateInput, deps: EstimateDeps): Estimate {
  const { info, options } = input;
  if (!info.isResourceRequest) return constant('none', 0, [`${info.verb.toUpperCase()} ${info.path}: not a resource request`]);
  if (info.verb === 'proxy' || STREAM_SUBRESOURCES.has(info.subresource)) {
    return constant('none', 0, [`${info.resource}/${info.subresource || info.verb}: a stream, not stored objects`]);
  }
  if (input.representation === undefined && (info.verb === 'get' || info.verb === 'list')) {
    return constant('none', 0, ['no acceptable representation in Accept: the apiserver answers 406']);
  }
  switch (info.verb) {
    case 'list':
      return estimateList(input, deps);
    case 'deletecollection':
      return estimateList(input, deps, true);
    case 'watch':
      if (options.sendInitialEvents === true) {
        return constant('streaming-list', deps.factors.streamingListBytes, [
          `streaming list of ${info.resource} (watch with sendInitialEvents=true): objects are sent one at a time from the watch cache`,
          `priced at the constant ${formatBytes(deps.factors.streamingListBytes)}`,
        ]);
      }
      return constant('watch', deps.factors.watchBytes, [
        `WATCH ${info.resource}: events are sent one at a time from the watch cache`,
        `priced at the constant ${formatBytes(deps.factors.watchBytes)}`,
      ]);
    case 'get':
      return estimateGet(input, deps);
    default:
      if (WRITE_VERBS.has(info.verb)) return estimateWrite(input, deps);
      return constant('none', 0, [`verb ${info.verb}: nothing loaded from storage`]);
  }
}
