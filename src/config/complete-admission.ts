/**
 * Completes the `admission` section into admission's settings (bytes and milliseconds,
 * src/admit/admission-settings.ts), and the rules that span its keys, reported with the other errors:
 *   - level and flow schema names are unique; every flow schema names a level that exists;
 *   - the shares of the non-exempt levels add up to at most 1, and a level's limit is at least its share;
 *   - the last level (it takes what no schema matches) is not exempt;
 *   - maxRetryAfter is whole seconds (client-go reads Retry-After with strconv.Atoi), 1s to 10m;
 *   - with the adaptive budget on, its minimum is not above the budget;
 *   - the shared budget's own rules (schema-shared-budget.ts).
 */
import type { AdmissionSettings } from '../admit/admission-settings.js';
import { parseByteQuantity } from '../k8s/quantity.js';
import type { ConfigIssue } from './config-error.js';
import { parseDuration } from './duration.js';
import { admissionSchema, type AdmissionDocument } from './schema-admission.js';
import { completeSharedBudget, sharedBudgetCrossFieldIssues } from './schema-shared-budget.js';

const bytes = (q: number | string): number => (typeof q === 'number' ? q : parseByteQuantity(q)!);
const ms = (d: string): number => parseDuration(d)!;

/** `resolveFile` resolves the files the shared budget names against the config file's folder. */
export function completeAdmission(doc: AdmissionDocument, resolveFile: (p: string) => string = (p) => p): AdmissionSettings {
  return {
    enabled: doc.enabled,
    budgetBytes: bytes(doc.budget),
    smallRequestBytes: bytes(doc.smallRequestBytes),
    warningBytes: bytes(doc.warningBytes),
    maxRetryAfterSeconds: Math.round(ms(doc.maxRetryAfter) / 1000),
    initialHoldTimeMs: ms(doc.initialHoldTime),
    holdOverMs: ms(doc.holdOver),
    streamingLists: doc.streamingLists,
    streamingProbeIntervalMs: ms(doc.streamingProbeInterval),
    offload: doc.offload,
    adaptive: {
      enabled: doc.adaptive.enabled,
      metric: doc.adaptive.metric,
      ceilingBytes: bytes(doc.adaptive.ceiling),
      minimumBytes: bytes(doc.adaptive.minimum),
      intervalMs: ms(doc.adaptive.interval),
      recoveryFraction: doc.adaptive.recoveryFraction,
      collect: doc.adaptive.collect,
      collectIntervalMs: ms(doc.adaptive.collectInterval),
    },
    levels: doc.levels.map((l) => ({
      name: l.name,
      exempt: l.exempt,
      share: l.exempt ? 0 : l.share,
      limit: l.limit,
      queue: { length: l.queue.length, lengthPerFlow: l.queue.lengthPerFlow, maxWaitMs: ms(l.queue.maxWait) },
    })),
    flowSchemas: doc.flowSchemas.map((f) => ({
      name: f.name,
      level: f.level,
      subjects: { users: [...f.subjects.users], groups: [...f.subjects.groups], serviceAccounts: f.subjects.serviceAccounts.map((a) => ({ ...a })) },
      rules: { verbs: [...f.rules.verbs], resources: [...f.rules.resources], namespaces: [...f.rules.namespaces] },
      flowKey: f.flowKey,
    })),
    ...(doc.sharedBudget ? { sharedBudget: completeSharedBudget(doc.sharedBudget, resolveFile) } : {}),
  };
}

function duplicates(names: readonly string[], path: (i: number) => string, what: string): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  names.forEach((n, i) => {
    if (seen.has(n)) issues.push({ path: path(i), message: `duplicate ${what} name ${n}` });
    seen.add(n);
  });
  return issues;
}

/** Rules across the section's keys; nothing when the section itself does not parse (its key errors say why). */
export function admissionCrossFieldIssues(doc: unknown): ConfigIssue[] {
  const raw = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>).admission : undefined;
  const parsed = admissionSchema.safeParse(raw);
  if (!parsed.success) return [];
  const a = parsed.data;
  const issues: ConfigIssue[] = [
    ...duplicates(a.levels.map((l) => l.name), (i) => `admission.levels[${i}].name`, 'priority level'),
    ...duplicates(a.flowSchemas.map((f) => f.name), (i) => `admission.flowSchemas[${i}].name`, 'flow schema'),
  ];
  const shares = a.levels.filter((l) => !l.exempt).reduce((sum, l) => sum + l.share, 0);
  if (shares > 1 + 1e-9) issues.push({ path: 'admission.levels', message: `the shares of the non-exempt levels add up to ${Number(shares.toFixed(4))}; they must not exceed 1` });
  a.levels.forEach((l, i) => {
    if (!l.exempt && l.limit < l.share) issues.push({ path: `admission.levels[${i}].limit`, message: `must be at least the level's share (${l.share})` });
  });
  if (a.levels[a.levels.length - 1]?.exempt) {
    issues.push({ path: `admission.levels[${a.levels.length - 1}].exempt`, message: 'the last level takes every request no flow schema matches; it must not be exempt' });
  }
  const levelNames = new Set(a.levels.map((l) => l.name));
  a.flowSchemas.forEach((f, i) => {
    if (!levelNames.has(f.level)) issues.push({ path: `admission.flowSchemas[${i}].level`, message: `no priority level named ${f.level} (levels: ${[...levelNames].join(', ')})` });
  });
  const retryMs = ms(a.maxRetryAfter);
  if (retryMs % 1000 !== 0 || retryMs < 1000 || retryMs > 600_000) {
    issues.push({ path: 'admission.maxRetryAfter', message: 'must be whole seconds from 1s to 10m (clients read Retry-After as an integer)' });
  }
  if (a.adaptive.enabled && bytes(a.adaptive.minimum) > bytes(a.budget)) issues.push({ path: 'admission.adaptive.minimum', message: 'must not be above admission.budget' });
  issues.push(...sharedBudgetCrossFieldIssues(a.sharedBudget));
  return issues;
}
