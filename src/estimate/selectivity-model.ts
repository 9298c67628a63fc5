/**
 * How much of a collection a selector keeps, learned per resource and selector *shape* (the keys and
 * operators of its requirements, not their values: `spec.nodeName=node-1` and `spec.nodeName=node-2`
 * share a shape), as an EWMA of matched items ÷ objects in the range. The server still reads the whole
 * range for a selector and omits remainingItemCount, so only the response is smaller; with no samples the
 * share is 1 (the response priced as the whole range).
 * The bytes per item of a selector's answers are learned here too, per shape and representation: the
 * objects a selector keeps are often not the resource's average (`owner=helm` keeps the 1 MiB releases),
 * and teaching them to the size model would skew the price of unselected lists.
 */

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface SelectivityEstimate {
  /** Fraction of the range the response holds, 0–1. */
  share: number;
  samples: number;
}

export interface SelectedItems {
  group: string;
  resource: string;
  selectors: Selectors;
  /** The response's encoding and conversion (`json`, `object`): items are learned in their own terms. */
  encoding: string;
  as: string;
}

export interface SelectivityView {
  share(group: string, resource: string, selectors: Selectors): SelectivityEstimate | undefined;
  /** Learned response bytes per item (in the response's encoding) of answers to this selector shape. */
  itemBytes(q: SelectedItems): { bytes: number; samples: number } | undefined;
}

export interface SelectivityModel extends SelectivityView {
  observe(o: { group: string; resource: string; selectors: Selectors; matched: number; rangeCount: number }): void;
  /** One whole answer (or a whole chain of pages) to a selector: its item bytes and items. */
  observeItems(o: SelectedItems & { bytes: number; items: number }): void;
}

/** Splits on commas outside parentheses (`a in (x,y),b` has two requirements). */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((r) => r.trim()).filter((r) => r !== '');
}

/** A requirement without its values: `app=web` → `app=`, `tier in (a,b)` → `tier in`, `!gpu` → `!gpu`. */
function requirementShape(requirement: string): string {
  const m = /^(!?)\s*([^\s!=<>()]+)\s*(==|=|!=|<|>|\s+in\b|\s+notin\b)?/i.exec(requirement);
  if (!m) return requirement;
  return `${m[1]}${m[2]}${(m[3] ?? '').trim().toLowerCase()}`;
}

/** The shape of a request's selectors, stable across values and requirement order. */
export function selectorShape(selectors: Selectors): string {
  const parts = [
    ...requirements(selectors.labelSelector ?? '').map((r) => `l:${requirementShape(r)}`),
    ...requirements(selectors.fieldSelector ?? '').map((r) => `f:${requirementShape(r)}`),
  ];
  return parts.sort().join(';');
}

export function createSelectivityModel(opts: { alpha?: number; minSamples?: number; maxEntries?: number } = {}): SelectivityModel {
  const alpha = opts.alpha ?? 0.3;
  const minSamples = opts.minSamples ?? 2;
  const maxEntries = opts.maxEntries ?? 2000;
  const shares = new Map<string, SelectivityEstimate>();
  const keyOf = (group: string, resource: string, selectors: Selectors) => `${group}/${resource}\u0000${selectorShape(selectors)}`;
  const items = new Map<string, { bytes: number; samples: number }>();
  const itemKey = (q: SelectedItems) => `${keyOf(q.group, q.resource, q.selectors)}\u0000${q.encoding}\u0000${q.as}`;
  return {
    observeItems(o) {
      if (!(o.items > 0) || !(o.bytes > 0)) return;
      const k = itemKey(o);
      const perItem = o.bytes / o.items;
      const prev = items.get(k);
      items.delete(k);
      if (items.size >= maxEntries) items.delete(items.keys().next().value!);
      items.set(k, prev ? { bytes: prev.bytes + alpha * (perItem - prev.bytes), samples: prev.samples + 1 } : { bytes: perItem, samples: 1 });
    },
    itemBytes(q) {
      const v = items.get(itemKey(q));
      return v ? { ...v } : undefined;
    },
    observe({ group, resource, selectors, matched, rangeCount }) {
      if (!(rangeCount > 0) || matched < 0) return;
      const share = Math.min(1, matched / rangeCount);
      const k = keyOf(group, resource, selectors);
      const prev = shares.get(k);
      shares.delete(k);
      if (shares.size >= maxEntries) shares.delete(shares.keys().next().value!);
      shares.set(k, prev ? { share: prev.share + alpha * (share - prev.share), samples: prev.samples + 1 } : { share, samples: 1 });
    },
    share(group, resource, selectors) {
      const s = shares.get(keyOf(group, resource, selectors));
      return s && s.samples >= minSamples ? { ...s } : undefined;
    },
  };
}
