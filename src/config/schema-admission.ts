/**
 * The `admission` section (zod 4 strict objects with defaults), imported into the document schema in
 * schema.ts. Byte amounts are Kubernetes quantities (`6Gi`, `500Mi`, or a plain number of bytes);
 * durations are Go durations. `levels` and `flowSchemas`, when given, replace the defaults entirely
 * (src/admit/admission-settings.ts has them): the first flow schema that matches a request names its
 * priority level, and a request none matches goes to the last level.
 */
import { z } from 'zod';
import { DEFAULT_ADMISSION, DEFAULT_FLOW_SCHEMAS, DEFAULT_LEVELS } from '../admit/admission-settings.js';
import { formatBytes, parseByteQuantity } from '../k8s/quantity.js';
import { formatDuration, parseDuration } from './duration.js';
import { sharedBudgetSchema } from './schema-shared-budget.js';

const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);

const quantity = z
  .union([z.number().int().min(0), z.string()])
  .refine((v) => (typeof v === 'number' ? true : parseByteQuantity(v) !== undefined), 'must be a byte quantity such as 6Gi, 500Mi or 1048576');
const duration = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 10s, 500ms or 1m30s');
const fraction = z.number().min(0).max(1);
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lower-case name (letters, digits, - and .)');

const levelSchema = z.strictObject({
  name,
  exempt: z.boolean().default(false),
  share: fraction.default(0),
  limit: fraction.default(1),
  queue: section(
    z.strictObject({
      length: z.number().int().min(0).default(64),
      lengthPerFlow: z.number().int().min(0).default(16),
      maxWait: duration.default('10s'),
    }),
  ),
});

const flowSchemaSchema = z.strictObject({
  name,
  level: name,
  subjects: section(
    z.strictObject({
      users: z.array(z.string().min(1)).default([]),
      groups: z.array(z.string().min(1)).default([]),
      serviceAccounts: z.array(z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) })).default([]),
    }),
  ),
  rules: section(
    z.strictObject({
      verbs: z.array(z.string().min(1)).default([]),
      resources: z.array(z.string().min(1)).default([]),
      namespaces: z.array(z.string().min(1)).default([]),
    }),
  ),
  flowKey: z.enum(['user', 'namespace']).default('user'),
});

const d = DEFAULT_ADMISSION;
const levelDocument = (l: (typeof DEFAULT_LEVELS)[number]) => ({
  name: l.name,
  exempt: l.exempt,
  share: l.share,
  limit: l.limit,
  queue: { length: l.queue.length, lengthPerFlow: l.queue.lengthPerFlow, maxWait: formatDuration(l.queue.maxWaitMs) },
});
const schemaDocument = (f: (typeof DEFAULT_FLOW_SCHEMAS)[number]) => ({
  name: f.name,
  level: f.level,
  subjects: { users: [...f.subjects.users], groups: [...f.subjects.groups], serviceAccounts: f.subjects.serviceAccounts.map((s) => ({ ...s })) },
  rules: { verbs: [...f.rules.verbs], resources: [...f.rules.resources], namespaces: [...f.rules.namespaces] },
  flowKey: f.flowKey,
});

export const admissionSchema = section(
  z.strictObject({
    enabled: z.boolean().default(d.enabled),
    budget: quantity.default(formatBytes(d.budgetBytes)),
    smallRequestBytes: quantity.default(formatBytes(d.smallRequestBytes)),
    warningBytes: quantity.default(formatBytes(d.warningBytes)),
    maxRetryAfter: duration.default(formatDuration(d.maxRetryAfterSeconds * 1000)),
    initialHoldTime: duration.default(formatDuration(d.initialHoldTimeMs)),
    holdOver: duration.default(formatDuration(d.holdOverMs)),
    streamingLists: z.enum(['auto', 'enabled', 'disabled']).default(d.streamingLists),
    streamingProbeInterval: duration.default(formatDuration(d.streamingProbeIntervalMs)),
    offload: z.enum(['auto', 'off']).default(d.offload),
    adaptive: section(
      z.strictObject({
        enabled: z.boolean().default(d.adaptive.enabled),
        metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name').default(d.adaptive.metric),
        ceiling: quantity.default(formatBytes(d.adaptive.ceilingBytes)),
        minimum: quantity.default(formatBytes(d.adaptive.minimumBytes)),
        interval: duration.default(formatDuration(d.adaptive.intervalMs)),
        recoveryFraction: z.number().gt(0).max(1).default(d.adaptive.recoveryFraction),
        collect: z.boolean().default(d.adaptive.collect),
        collectInterval: duration.default(formatDuration(d.adaptive.collectIntervalMs)),
      }),
    ),
    levels: z.array(levelSchema).min(1).default(DEFAULT_LEVELS.map(levelDocument)),
    flowSchemas: z.array(flowSchemaSchema).default(DEFAULT_FLOW_SCHEMAS.map(schemaDocument)),
    /** One budget for every replica, through Redis (schema-shared-budget.ts); absent: this replica's own. */
    sharedBudget: sharedBudgetSchema.optional(),
  }),
);

export type AdmissionDocument = z.output<typeof admissionSchema>;
