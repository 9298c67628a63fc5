/**
 * The `webhook:` section: the mutating admission webhook that routes the pods of opted-in namespaces
 * through the gateway (src/webhook/), its schema (imported into the document schema in schema.ts), the
 * rules that span keys, and its completion into WebhookConfig:
 *
 *   webhook: { enabled, listen: { address, port }, tls: { certFile, keyFile },
 *              gateway: { host, port, caFile }, caConfigMap: { name, timeout, resyncInterval },
 *              excludedNamespaces }
 *
 * Off by default. When enabled, `gateway.host` (the name routed pods connect to, which the gateway's
 * serving certificate must carry) and `gateway.caFile` (the CA bundle routed pods are told to trust) are
 * required; `tls` defaults to the gateway's own serving pair.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { parseDuration } from './duration.js';

const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);
const file = z.string().min(1);
const positiveDuration = z.string().refine((s) => (parseDuration(s) ?? 0) > 0, 'must be a positive duration such as 2s, 1m or 500ms');
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** What KUBERNETES_SERVICE_HOST may hold: a DNS name or an IP address (IPv6 without brackets). */
const host = z.string().refine((s) => DNS_SUBDOMAIN.test(s) || isIP(s) !== 0, 'must be a DNS name such as listgate.listgate.svc, or an IP address');

export const webhookSchema = section(
  z.strictObject({
    enabled: z.boolean().default(false),
    listen: section(z.strictObject({ address: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8444) })),
    tls: z.strictObject({ certFile: file, keyFile: file }).optional(),
    gateway: section(
      z.strictObject({
        host: host.optional(),
        port: z.number().int().min(1).max(65535).default(443),
        caFile: file.optional(),
      }),
    ),
    caConfigMap: section(
      z.strictObject({
        name: z.string().regex(DNS_SUBDOMAIN, 'must be a ConfigMap name (lower-case DNS subdomain)').default('listgate-gateway-ca'),
        timeout: positiveDuration.default('2s'),
        resyncInterval: positiveDuration.default('1m'),
      }),
    ),
    excludedNamespaces: z.array(z.string().regex(DNS_LABEL, 'must be a namespace name')).default(['kube-system', 'listgate']),
  }),
);

export type WebhookDocument = z.output<typeof webhookSchema>;

/** What the webhook does when it routes a pod. */
export interface WebhookRouting {
  /** KUBERNETES_SERVICE_HOST and the port (KUBERNETES_SERVICE_PORT, _PORT_HTTPS) of the gateway. */
  readonly host: string;
  readonly port: number;
  /** The CA bundle routed pods trust instead of kube-root-ca.crt, kept in `caConfigMap.name`. */
  readonly caFile: string;
  readonly caConfigMap: { readonly name: string; readonly timeoutMs: number; readonly resyncIntervalMs: number };
  /** Never routed, whatever their labels: the control plane's and the gateway's own. */
  readonly excludedNamespaces: readonly string[];
}

export type WebhookConfig =
  | { readonly enabled: false }
  | ({
      readonly enabled: true;
      readonly listen: { readonly address: string; readonly port: number };
      /** The webhook's serving pair: its own, or the gateway's (tls.*) when webhook.tls is left out. */
      readonly tls: { readonly certFile: string; readonly keyFile: string };
    } & WebhookRouting);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rules that span keys, read from the raw document so they are reported with the per-key errors. */
export function webhookCrossFieldIssues(doc: unknown): ConfigIssue[] {
  if (!isRecord(doc) || !isRecord(doc.webhook) || doc.webhook.enabled !== true) return [];
  const webhook = doc.webhook;
  const gateway = isRecord(webhook.gateway) ? webhook.gateway : {};
  const issues: ConfigIssue[] = [];
  if (gateway.host === undefined) issues.push({ path: 'webhook.gateway.host', message: 'required when webhook.enabled is true (the name routed pods connect to)' });
  if (gateway.caFile === undefined) issues.push({ path: 'webhook.gateway.caFile', message: 'required when webhook.enabled is true (the CA that signed the gateway\'s serving certificate)' });
  const port = isRecord(webhook.listen) ? webhook.listen.port : undefined;
  const portOf = (key: string, fallback: number): unknown => {
    const other = doc[key];
    return isRecord(other) && other.port !== undefined ? other.port : fallback;
  };
  if (typeof port === 'number' && port !== 0) {
    for (const [key, fallback] of [['listen', 8443], ['ops', 8081]] as const) {
      if (portOf(key, fallback) === port) issues.push({ path: 'webhook.listen.port', message: `must differ from ${key}.port (${port})` });
    }
  }
  return issues;
}

export function completeWebhook(doc: WebhookDocument, opts: { file: (path: string) => string; servingTls: { certFile: string; keyFile: string } }): WebhookConfig {
  if (!doc.enabled) return { enabled: false };
  const { file } = opts;
  return {
    enabled: true,
    listen: { ...doc.listen },
    tls: doc.tls ? { certFile: file(doc.tls.certFile), keyFile: file(doc.tls.keyFile) } : { ...opts.servingTls },
    host: doc.gateway.host!,
    port: doc.gateway.port,
    caFile: file(doc.gateway.caFile!),
    caConfigMap: {
      name: doc.caConfigMap.name,
      timeoutMs: parseDuration(doc.caConfigMap.timeout)!,
      resyncIntervalMs: parseDuration(doc.caConfigMap.resyncInterval)!,
    },
    excludedNamespaces: [...doc.excludedNamespaces],
  };
}
