/**
 * Validates a configuration document (already read from YAML into `unknown`) and completes it into the
 * frozen, fully-defaulted `Config` that the rest of the gateway sees. Every problem is reported at once,
 * each with its key path; relative file paths resolve against the config file's folder.
 */
import { isAbsolute, resolve } from 'node:path';
import type { AdmissionSettings } from '../admit/admission-settings.js';
import { admissionCrossFieldIssues, completeAdmission } from './complete-admission.js';
import {
  authCrossFieldIssues,
  completeAuthentication,
  completeAuthorization,
  completeIdentity,
  type AuthenticationConfig,
  type AuthorizationConfig,
  type IdentityConfig,
} from './complete-auth.js';
import { ConfigError, formatIssuePath, type ConfigIssue } from './config-error.js';
import type { EstimatorSettings } from '../estimate/create-estimator.js';
import { parseDuration } from './duration.js';
import { completeEstimator } from './schema-estimator.js';
import { completeWebhook, webhookCrossFieldIssues, type WebhookConfig } from './schema-webhook.js';
import { configDocumentSchema, configErrorMap, type ConfigDocument, type IDENTITY_MODES, type LOG_LEVELS } from './schema.js';

export type LogLevel = (typeof LOG_LEVELS)[number];
export type IdentityMode = (typeof IDENTITY_MODES)[number];

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface UpstreamConfig {
  /** The origin, normalized: `https://127.0.0.1:6443`. */
  readonly server: string;
  /** Host to connect to (IPv6 without brackets) and the TLS server name to verify. */
  readonly host: string;
  readonly port: number;
  /** Undefined: trust the system's CAs. */
  readonly caFile: string | undefined;
  readonly clientCertFile: string | undefined;
  readonly clientKeyFile: string | undefined;
  readonly tokenFile: string | undefined;
  /** Short requests in flight upstream at once (HTTP/1.1 connections, or HTTP/2 streams over several connections). */
  readonly maxSockets: number;
  /** Long-running requests in flight upstream at once (watches, streaming lists, logs, upgrades). */
  readonly maxLongRunning: number;
  /** How long a request may wait for a free slot before it is answered 429. */
  readonly queueTimeoutMs: number;
  /** The protocol to the apiserver: HTTP/2 when offered (`auto`), always, or never. */
  readonly protocol: UpstreamProtocol;
  readonly connectTimeoutMs: number;
}

export type UpstreamProtocol = 'auto' | 'http2' | 'http1.1';

export interface Config {
  /** The gateway's listener; `headersTimeoutMs`: how long a client may take to send its request headers. */
  readonly listen: Endpoint & { readonly headersTimeoutMs: number; readonly http2: boolean; readonly http2MaxConcurrentStreams: number };
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  readonly upstream: UpstreamConfig;
  /** Who the caller is: client certificates, TokenReview, anonymous (complete-auth.ts). */
  readonly authentication: AuthenticationConfig;
  /** How the caller's identity reaches the apiserver. `insecure`: it does not (dev only). */
  readonly identity: IdentityConfig;
  /** SubjectAccessReviews as the caller before a request spends budget (complete-auth.ts). */
  readonly authorization: AuthorizationConfig;
  readonly ops: Endpoint;
  readonly logging: { readonly level: LogLevel };
  /** On SIGTERM: how long readiness fails before the listener closes, then how long requests may drain. */
  readonly shutdown: { readonly readinessGracePeriodMs: number; readonly drainTimeoutMs: number };
  /** The estimator's settings, defaults applied (schema-estimator.ts); read when the gateway starts. */
  readonly estimator: EstimatorSettings;
  /** Leases on the byte budget: priority levels, flow schemas, queues, the adaptive budget (complete-admission.ts). */
  readonly admission: AdmissionSettings;
  /** The admission webhook that routes in-cluster pods through the gateway (schema-webhook.ts). */
  readonly webhook: WebhookConfig;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rules that span keys; they read the raw document so they report alongside the per-key errors. */
function crossFieldIssues(doc: unknown): ConfigIssue[] {
  if (!isRecord(doc)) return [];
  const upstream = doc.upstream ?? {};
  if (!isRecord(upstream)) return [];
  const has = (key: string) => upstream[key] !== undefined;
  const issues: ConfigIssue[] = [];
  if (has('clientCertFile') && !has('clientKeyFile')) {
    issues.push({ path: 'upstream.clientKeyFile', message: 'required when upstream.clientCertFile is set' });
  }
  if (has('clientKeyFile') && !has('clientCertFile')) {
    issues.push({ path: 'upstream.clientCertFile', message: 'required when upstream.clientKeyFile is set' });
  }
  if (!has('clientCertFile') && !has('clientKeyFile') && !has('tokenFile')) {
    issues.push({ path: 'upstream', message: "needs the gateway's own credentials: clientCertFile and clientKeyFile, or tokenFile" });
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function complete(doc: ConfigDocument, baseDir: string): Config {
  const file = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const optionalFile = (p: string | undefined) => (p === undefined ? undefined : file(p));
  const url = new URL(doc.upstream.server);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return deepFreeze<Config>({
    listen: {
      address: doc.listen.address,
      port: doc.listen.port,
      headersTimeoutMs: parseDuration(doc.listen.headersTimeout)!,
      http2: doc.listen.http2,
      http2MaxConcurrentStreams: doc.listen.http2MaxConcurrentStreams,
    },
    tls: { certFile: file(doc.tls.certFile), keyFile: file(doc.tls.keyFile) },
    upstream: {
      server: url.origin,
      host,
      port: url.port === '' ? 443 : Number(url.port),
      caFile: optionalFile(doc.upstream.caFile),
      clientCertFile: optionalFile(doc.upstream.clientCertFile),
      clientKeyFile: optionalFile(doc.upstream.clientKeyFile),
      tokenFile: optionalFile(doc.upstream.tokenFile),
      maxSockets: doc.upstream.maxSockets,
      maxLongRunning: doc.upstream.maxLongRunning,
      queueTimeoutMs: parseDuration(doc.upstream.queueTimeout)!,
      protocol: doc.upstream.protocol,
      connectTimeoutMs: parseDuration(doc.upstream.connectTimeout)!,
    },
    authentication: completeAuthentication(doc.authentication, file),
    identity: completeIdentity(doc.identity, file),
    authorization: completeAuthorization(doc.authorization),
    ops: { ...doc.ops },
    logging: { level: doc.logging.level },
    shutdown: {
      readinessGracePeriodMs: parseDuration(doc.shutdown.readinessGracePeriod)!,
      drainTimeoutMs: parseDuration(doc.shutdown.drainTimeout)!,
    },
    estimator: completeEstimator(doc.estimator),
    admission: completeAdmission(doc.admission, file),
    webhook: completeWebhook(doc.webhook, { file, servingTls: { certFile: file(doc.tls.certFile), keyFile: file(doc.tls.keyFile) } }),
  });
}

/** Throws `ConfigError` listing every problem; never reads files. */
export function parseConfig(doc: unknown, opts: { baseDir: string }): Config {
  const parsed = configDocumentSchema.safeParse(doc ?? {}, { error: configErrorMap });
  const issues: ConfigIssue[] = [];
  for (const issue of parsed.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: formatIssuePath([...issue.path, key]), message: 'unknown key' });
    } else {
      issues.push({ path: formatIssuePath(issue.path), message: issue.message });
    }
  }
  issues.push(...crossFieldIssues(doc), ...authCrossFieldIssues(doc), ...admissionCrossFieldIssues(doc), ...webhookCrossFieldIssues(doc));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return complete(parsed.data, opts.baseDir);
}
