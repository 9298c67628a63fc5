/**
 * The memory a LIST makes the apiserver hold, in two parts calibrated separately:
 *   load     = objects read from etcd × full object bytes × (amplification from etcd − from the cache)
 *              (reading and decoding the range; zero from the watch cache, whose objects are decoded)
 *   response = expected response bytes × amplification from the cache (encoding and holding the body)
 * For a plain list from etcd the two add up to the measured etcd factor × the response. Table and
 * PartialObjectMetadata responses are smaller than the objects the server loads; a label or field
 * selector keeps only part of the range in the response while the whole range is read. Pure.
 */
import type { Confidence, Estimate, EstimateDeps, EstimateInput } from './estimate-types.js';
import { largeResponseScale } from './factors.js';
import { formatAge, formatBytes } from './format-bytes.js';
import { resolveListServing } from './list-serving.js';
import { factsOf } from './list-facts.js';
import { resolveItemSizes } from './response-item-size.js';

function describeCount(c: ReturnType<EstimateDeps['census']['count']>, namespace: string): string {
  if (c.source === 'unknown') return `census: count unknown; priced at the conservative ${c.count} objects`;
  const where = `${c.source}, ${formatAge(c.ageSeconds)}`;
  const stand = namespace && c.scope === 'cluster' ? ' (namespace count unknown: the cluster-wide count is an upper bound)' : '';
  if (c.conservative) return `census: stale count (${where}) priced conservatively at ${c.count} objects${stand}`;
  return `census: ${c.count} objects (${where})${stand}`;
}

export function estimateList(input: EstimateInput, deps: EstimateDeps, deleteCollection = false): Estimate {
  const { info, options } = input;
  const rep = input.representation ?? { encoding: 'json', as: 'object', mediaType: 'application/json' };
  const { factors } = deps;
  const gr = info.apiGroup ? `${info.apiGroup}/${info.resource}` : info.resource;
  const reasons = [`${deleteCollection ? 'DELETECOLLECTION' : 'LIST'} ${gr}${info.namespace ? ` in namespace ${info.namespace}` : ' (all namespaces)'}`];

  const serving = deleteCollection
    ? { source: 'etcd' as const, limitHonoured: false, reason: 'deletecollection: lists the whole range from etcd, then deletes each object' }
    : resolveListServing(options, factors.profile, deps.consistentReads);
  reasons.push(serving.reason);

  const count = deps.census.count(info.apiGroup, info.resource, info.namespace || undefined);
  reasons.push(describeCount(count, info.namespace));
  const limit = serving.limitHonoured ? options.limit : undefined;
  const selective = Boolean(options.labelSelector || options.fieldSelector);
  const { shape } = factsOf(input);
  const position = limit !== undefined ? deps.pages?.pagePosition(shape, options.continue, limit) : undefined;
  let responseObjects = limit === undefined ? count.count : Math.min(limit, position?.remaining ?? count.count);
  if (limit !== undefined) {
    const left = position?.remaining !== undefined ? `, ${position.remaining} left in the list's snapshot` : '';
    const which = position ? `page ${position.index + 1},` : 'one page of';
    reasons.push(`limit=${limit}: ${which} ${responseObjects} objects${left} (memory follows the page)`);
  }
  let loadObjects = responseObjects;
  if (selective) {
    const learned = deps.selectivity?.share(info.apiGroup, info.resource, options);
    const share = learned?.share ?? 1;
    const matched = Math.ceil(count.count * share);
    responseObjects = limit === undefined ? matched : Math.min(limit, matched);
    reasons.push(
      learned
        ? `selector: the server reads the range; learned share ${(share * 100).toPrecision(2)}% (${learned.samples} samples) → ${responseObjects} objects in the response`
        : `selector: the server reads the range and the share kept is not learned yet; response priced as ${responseObjects} objects`,
    );
  }

  const encodingRatio = factors.encodingRatio[rep.encoding];
  const size = resolveItemSizes({
    group: info.apiGroup,
    resource: info.resource,
    namespace: info.namespace || undefined,
    rep,
    position,
    limit,
    sizes: deps.sizes,
    factors,
  });
  reasons.push(...size.reasons);
  let itemBytes = size.itemBytes;
  let sizeSource: Estimate['sizeSource'] = size.source;
  // A selector's answers are sized by what that selector shape kept before, not by the range's average.
  const selected = selective && size.source !== 'page' ? deps.selectivity?.itemBytes({ group: info.apiGroup, resource: info.resource, selectors: options, encoding: rep.encoding, as: rep.as }) : undefined;
  if (selected) {
    itemBytes = selected.bytes / factors.encodingRatio[rep.encoding];
    sizeSource = 'selector';
    reasons.push(`selector: its answers held ~${formatBytes(itemBytes)} per item as JSON (learned for this selector shape, ${selected.samples} samples)`);
  }
  if (rep.encoding !== 'json') reasons.push(`${rep.encoding}: ${encodingRatio} × the JSON size`);

  const envelope = deps.sizes.envelopeBytes(info.apiGroup, info.resource, rep.as) ?? factors.listEnvelopeBytes;
  const responseBytes = Math.round((envelope + responseObjects * itemBytes) * encodingRatio);
  const amp = factors.profile.amplification[rep.encoding];
  const loadFactor = serving.source === 'etcd' ? Math.max(0, amp.etcd - amp.cache) : 0;
  const loadBytes = loadObjects * size.objectBytes * encodingRatio * loadFactor;
  const confidence = confidenceOf(sizeSource, count);
  const margin = UNCERTAIN_SIZES.has(sizeSource) || confidence === 'low' ? (deps.uncertaintyMargin ?? DEFAULT_UNCERTAINTY_MARGIN) : 1;
  // A large response (or a large range read from etcd) holds less per byte: Go collects while it is built.
  const largeBytes = serving.source === 'etcd' ? Math.max(responseBytes, loadObjects * size.objectBytes * encodingRatio) : responseBytes;
  const large = largeResponseScale(factors.profile.largeResponse, largeBytes);
  const baseBytes = Math.ceil((loadBytes + responseBytes * amp.cache) * large);
  const estimatedBytes = Math.ceil(baseBytes * margin);
  reasons.push(
    serving.source === 'etcd'
      ? `${rep.encoding} from etcd: ${amp.etcd}× (reading ${loadObjects} objects ${loadFactor}× + holding the response ${amp.cache}×; ${factors.profile.source})`
      : `${rep.encoding} from the watch cache: ${amp.cache}× the response (${factors.profile.source})`,
  );
  if (large !== 1) reasons.push(`a ${formatBytes(largeBytes)} response: × ${large.toFixed(2)} (large responses hold less per byte: Go collects while they are built)`);
  if (margin !== 1) reasons.push(`${confidence} confidence (${confidence === 'low' ? 'nothing learned of its sizes or count' : 'sizes from a sample or from other namespaces, not from a whole response'}): × ${margin} uncertainty margin`);
  reasons.push(`≈ ${formatBytes(estimatedBytes)} held by the apiserver for a ${formatBytes(responseBytes)} response`);
  if (serving.source === 'cache') loadObjects = responseObjects;
  return {
    class: deleteCollection ? 'deletecollection' : 'list',
    source: serving.source,
    objects: loadObjects,
    averageObjectBytes: size.objectBytes,
    responseBytes,
    factor: estimatedBytes / responseBytes,
    estimatedBytes,
    reasons,
    countSource: count.source,
    countAgeSeconds: count.ageSeconds,
    sizeSource,
    confidence,
    marginBytes: estimatedBytes - baseBytes,
  };
}

export const DEFAULT_UNCERTAINTY_MARGIN = 1.5;

const LEARNED_SIZES = new Set<Estimate['sizeSource']>(['resource', 'namespace', 'page', 'selector']);
/** Sizes that are evidence but no average: a sample of the first items, the largest slice of other namespaces. */
const UNCERTAIN_SIZES = new Set<Estimate['sizeSource']>(['sample', 'ceiling']);

function confidenceOf(sizeSource: Estimate['sizeSource'], count: ReturnType<EstimateDeps['census']['count']>): Confidence {
  if (sizeSource === 'default' || count.source === 'unknown') return 'low';
  return LEARNED_SIZES.has(sizeSource) && !count.conservative ? 'high' : 'medium';
}
