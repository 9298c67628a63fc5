/**
 * The gateway's `admission:` config section for the benchmarks: the default priority levels and flow
 * schemas (what an operator gets), with the budget the benchmark chooses. Present only once the gateway's
 * configuration knows the section (before that the gateway runs without admission and the benchmarks say so).
 */
import { DEFAULT_LEVELS, DEFAULT_FLOW_SCHEMAS, levelCeilingFraction, poolFraction } from '../../src/admit/admission-settings.js';
import { configDocumentSchema } from '../../src/config/schema.js';

export function admissionAvailable(): boolean {
  return 'admission' in configDocumentSchema.shape;
}

const DEFAULT_ADAPTIVE_MINIMUM = 512 * 2 ** 20;

/**
 * `{ admission: … }` with a global budget of `budgetBytes`, or `{}` when the gateway has no admission yet.
 * `initialHoldTime` (a duration) seeds the drain model before any lease was released: scaled-down runs,
 * whose LISTs take a fraction of a second, set it to their scale instead of the default 5 s.
 */
export function admissionSections(budgetBytes: number, opts: { initialHoldTime?: string } = {}): Record<string, unknown> {
  if (!admissionAvailable()) return {};
  return {
    admission: {
      budget: Math.round(budgetBytes),
      ...(opts.initialHoldTime ? { initialHoldTime: opts.initialHoldTime } : {}),
      // The adaptive budget is off by default, but its floor must still fit under a small (quick-run) budget.
      ...(budgetBytes < DEFAULT_ADAPTIVE_MINIMUM ? { adaptive: { minimum: Math.floor(budgetBytes / 2) } } : {}),
    },
  };
}

/**
 * The fraction of the budget the requests of `group` can hold at once under the default flow schemas:
 * the level's guaranteed share plus the borrowable pool, capped by its limit (admission-settings.ts).
 */
export function defaultCeilingFractionFor(group: string): { level: string; fraction: number } {
  const schema = DEFAULT_FLOW_SCHEMAS.find((f) => f.subjects.groups.includes(group)) ?? DEFAULT_FLOW_SCHEMAS[DEFAULT_FLOW_SCHEMAS.length - 1]!;
  const level = DEFAULT_LEVELS.find((l) => l.name === schema.level)!;
  return { level: level.name, fraction: levelCeilingFraction(level, DEFAULT_LEVELS) };
}

/**
 * The fraction of the budget the requests of several groups can hold together under the default flow
 * schemas: their levels' guaranteed shares plus the borrowable pool, at most the whole budget.
 */
export function combinedCeilingFraction(groups: readonly string[]): number {
  const levels = new Set(groups.map((g) => defaultCeilingFractionFor(g).level));
  const shares = DEFAULT_LEVELS.filter((l) => levels.has(l.name)).reduce((sum, l) => sum + l.share, 0);
  return Math.min(1, shares + poolFraction(DEFAULT_LEVELS));
}
