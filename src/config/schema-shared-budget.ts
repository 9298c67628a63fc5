/**
 * The `admission.sharedBudget` section: one budget shared by every replica through a Redis server
 * (src/admit/shared/). Absent, each replica keeps its budget to itself. Completed into
 * SharedBudgetSettings (milliseconds, files resolved), with the rules that span its keys:
 *   - a lease must survive a missed renewal: renewInterval at most half of leaseTTL;
 *   - a call to Redis must end before the next renewal: commandTimeout below renewInterval;
 *   - the TLS client certificate and key go together, and TLS files need tls.enabled.
 */
import { z } from 'zod';
import { SHARED_BUDGET_DEFAULTS as D, type SharedBudgetSettings } from '../admit/shared/shared-budget-settings.js';
import type { ConfigIssue } from './config-error.js';
import { formatDuration, parseDuration } from './duration.js';

const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);
const positiveDuration = z.string().refine((s) => (parseDuration(s) ?? 0) > 0, 'must be a positive duration such as 250ms, 2s or 10s');
const file = z.string().min(1);
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export const sharedBudgetSchema = z.strictObject({
  /** host:port of the Redis server (`[::1]:6379` for an IPv6 address). */
  address: z.string().refine((s) => {
    const m = ADDRESS.exec(s);
    return m !== null && Number(m[3]) > 0 && Number(m[3]) <= 65535;
  }, 'must be host:port, such as redis.redis.svc:6379 or 10.0.0.7:6379'),
  tls: section(
    z.strictObject({
      enabled: z.boolean().default(false),
      caFile: file.optional(),
      clientCertFile: file.optional(),
      clientKeyFile: file.optional(),
      serverName: z.string().min(1).optional(),
    }),
  ),
  auth: section(
    z.strictObject({
      /** A Redis ACL user; without it, the default user. */
      username: z.string().min(1).optional(),
      passwordFile: file.optional(),
    }),
  ),
  keyPrefix: z.string().min(1).max(64).regex(/^[A-Za-z0-9:_.{}-]+$/, 'must be letters, digits and : _ . { } -').default(D.keyPrefix),
  connectTimeout: positiveDuration.default(formatDuration(D.connectTimeoutMs)),
  commandTimeout: positiveDuration.default(formatDuration(D.commandTimeoutMs)),
  leaseTTL: positiveDuration.default(formatDuration(D.leaseTtlMs)),
  renewInterval: positiveDuration.default(formatDuration(D.renewIntervalMs)),
  expectedReplicas: z.number().int().min(1).max(1000).default(D.expectedReplicas),
});

export type SharedBudgetDocument = z.output<typeof sharedBudgetSchema>;

const ms = (d: string): number => parseDuration(d)!;

export function completeSharedBudget(doc: SharedBudgetDocument, resolveFile: (p: string) => string): SharedBudgetSettings {
  const m = ADDRESS.exec(doc.address)!;
  const optionalFile = (p: string | undefined) => (p === undefined ? undefined : resolveFile(p));
  return {
    host: m[1]!.replace(/^\[(.*)\]$/, '$1'),
    port: Number(m[3]),
    tls: doc.tls.enabled
      ? { caFile: optionalFile(doc.tls.caFile), clientCertFile: optionalFile(doc.tls.clientCertFile), clientKeyFile: optionalFile(doc.tls.clientKeyFile), serverName: doc.tls.serverName }
      : undefined,
    username: doc.auth.username,
    passwordFile: optionalFile(doc.auth.passwordFile),
    keyPrefix: doc.keyPrefix,
    connectTimeoutMs: ms(doc.connectTimeout),
    commandTimeoutMs: ms(doc.commandTimeout),
    leaseTtlMs: ms(doc.leaseTTL),
    renewIntervalMs: ms(doc.renewInterval),
    expectedReplicas: doc.expectedReplicas,
  };
}

/** Rules across the section's keys; nothing when the section does not parse (its key errors say why). */
export function sharedBudgetCrossFieldIssues(raw: unknown): ConfigIssue[] {
  if (raw === undefined || raw === null) return [];
  const parsed = sharedBudgetSchema.safeParse(raw);
  if (!parsed.success) return [];
  const s = parsed.data;
  const path = (key: string) => `admission.sharedBudget.${key}`;
  const issues: ConfigIssue[] = [];
  if (ms(s.renewInterval) * 2 > ms(s.leaseTTL)) issues.push({ path: path('renewInterval'), message: `must be at most half of leaseTTL (${s.leaseTTL}), so a lease outlives one missed renewal` });
  if (ms(s.commandTimeout) >= ms(s.renewInterval)) issues.push({ path: path('commandTimeout'), message: `must be below renewInterval (${s.renewInterval})` });
  const cert = s.tls.clientCertFile !== undefined;
  if (cert !== (s.tls.clientKeyFile !== undefined)) {
    issues.push({ path: path(`tls.${cert ? 'clientKeyFile' : 'clientCertFile'}`), message: `required when tls.${cert ? 'clientCertFile' : 'clientKeyFile'} is set` });
  }
  if (!s.tls.enabled && (s.tls.caFile !== undefined || cert || s.tls.serverName !== undefined)) {
    issues.push({ path: path('tls.enabled'), message: 'must be true when other tls keys are set' });
  }
  return issues;
}
