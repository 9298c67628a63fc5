/**
 * Helpers for offload's tests on the demo stack (simulator + gateway): an admission section whose one
 * non-exempt level may hold the whole budget, a hot reload that waits until it is applied, the direct
 * answer (the admin, exempt, straight through) to compare an offloaded one with, and the offload metrics.
 */
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { E2EStack } from '../../support/e2e-stack.js';
import { eventually, fetchText, metric } from '../../admit/support/admission-stack.js';

export interface AdmissionOptions {
  offload?: 'auto' | 'off';
  holdOver?: string;
  maxWait?: string;
  streamingLists?: 'auto' | 'enabled' | 'disabled';
}

/** One non-exempt level with the whole budget (share 1): its ceiling is the budget. */
export function admissionSection(budget: number, o: AdmissionOptions = {}): Record<string, unknown> {
  return {
    budget,
    smallRequestBytes: '1Ki',
    warningBytes: '1Gi',
    initialHoldTime: '1s',
    holdOver: o.holdOver ?? '0s',
    offload: o.offload ?? 'auto',
    streamingLists: o.streamingLists ?? 'disabled',
    levels: [
      { name: 'exempt', exempt: true },
      { name: 'catch-all', share: 1, queue: { length: 16, lengthPerFlow: 16, maxWait: o.maxWait ?? '20s' } },
    ],
    flowSchemas: [
      { name: 'exempt', level: 'exempt', subjects: { groups: ['system:masters'] } },
      { name: 'catch-all', level: 'catch-all' },
    ],
  };
}

/** Rewrites the stack's config with a new admission section and waits until the gateway applied it. */
export async function reloadAdmission(stack: E2EStack, wanted: number, o: AdmissionOptions = {}): Promise<void> {
  // The applied budget is how the reload is seen: one byte off when it would not change.
  const budget = (await metric(stack.opsUrl, 'listgate_admission_budget_bytes')) === wanted ? wanted - 1 : wanted;
  const doc = parse(await readFile(stack.configPath, 'utf8')) as Record<string, unknown>;
  doc.admission = admissionSection(budget, o);
  const text = stringify(doc);
  await writeFile(`${stack.configPath}.tmp`, text);
  await rename(`${stack.configPath}.tmp`, stack.configPath);
  assert.equal(await eventually(() => metric(stack.opsUrl, 'listgate_admission_budget_bytes'), budget, 10_000), budget, 'the new budget applied');
}

export interface EstimateReport {
  estimatedBytes: number;
  objects: number;
  decision: string;
  decisionReasons: string[];
}

/** The running gateway's estimate and admission's dry run (GET /debug/estimate on its ops port). */
export async function estimateOf(stack: { opsUrl: string }, path: string, o: { user?: string; accept?: string } = {}): Promise<EstimateReport> {
  const accept = o.accept ? `&accept=${encodeURIComponent(o.accept)}` : '';
  return JSON.parse(await fetchText(`${stack.opsUrl}/debug/estimate?path=${encodeURIComponent(path)}&user=${o.user ?? 'jane'}&group=developers${accept}`)) as EstimateReport;
}

/** Offloaded LISTs counted by the gateway, of a mode and result. */
export function offloads(stack: { opsUrl: string }, labels: Record<string, string>): Promise<number> {
  return metric(stack.opsUrl, 'listgate_offload_lists_total', labels);
}

export interface KubeList {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items?: Array<{ metadata: { name: string; namespace?: string } }>;
  rows?: unknown[];
  columnDefinitions?: unknown[];
}
