/**
 * How much of a collection a selector keeps, learned per resource and selector *shape* (the keys and
 * operators of its requirements, not their values: `spec.nodeName=node-1` and `spec.nodeName=node-2`
 * share a shape), as an EWMA of matched items ÷ objects in the range. The server still reads the whole
 * range for a selector and omits remainingItemCount, so only the response is smaller; with no samples the
 * share is 1 (the response priced as the whole range).
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

export interface SelectivityView {
  share(group: string, resource: string, selectors: Selectors): SelectivityEstimate | undefined;
}

export interface SelectivityModel extends SelectivityView {
  observe(o: { group: string; resource: string; selectors: Selectors; matched: number; rangeCount: number }): void;
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
  return {
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
