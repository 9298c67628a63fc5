/**
 * The gateway's `admission:` config section for the benchmarks, present only once the gateway's
 * configuration knows the section (until then the gateway runs without admission and the benchmarks say so).
 */
import { configDocumentSchema } from '../../src/config/schema.js';

export function admissionAvailable(): boolean {
  return 'admission' in configDocumentSchema.shape;
}

/** `{ admission: … }` with a global budget of `budgetBytes`, or `{}` when the gateway has no admission yet. */
export function admissionSections(budgetBytes: number): Record<string, unknown> {
  if (!admissionAvailable()) return {};
  return { admission: { budget: String(budgetBytes) } };
}
