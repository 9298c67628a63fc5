/**
 * The shape of the configuration document, as zod 4 strict objects (unknown keys are errors) with the
 * defaults applied. Later pipeline steps (authentication, estimator, admission) add their own sections
 * here; the sections below keep their keys.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { admissionSchema } from './schema-admission.js';
import { authenticationSchema, authorizationSchema, identitySchema } from './schema-auth.js';
import { estimatorSchema } from './schema-estimator.js';
import { webhookSchema } from './schema-webhook.js';

export { IDENTITY_MODES } from './schema-auth.js';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const address = z.string().min(1);
const port = z.number().int().min(0).max(65535);
const file = z.string().min(1);
const positiveDuration = z
  .string()
  .refine((s) => (parseDuration(s) ?? 0) > 0, 'must be a positive duration such as 10s, 500ms or 1m30s');
const duration = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 5s, 500ms or 1m30s (0 allowed)');

/** An https origin: scheme, host and optional port; no path, query, fragment or user info. */
const httpsOrigin = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an https URL such as https://127.0.0.1:6443' });
    return;
  }
  if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be an https URL' });
  else if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'must not contain user information' });
  else if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'must be only scheme, host and port (no path, query or fragment)' });
  }
});

/** A missing section reads as an empty one, so its own required keys are reported by their full path. */
const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);

const endpoint = (defaultPort: number) =>
  section(z.strictObject({ address: address.default('127.0.0.1'), port: port.default(defaultPort) }));

export const configDocumentSchema = z.strictObject({
  /** headersTimeout: how long a client may take to send a request's headers (slow-loris bound), enforced to the second. */
  /** http2: offer HTTP/2 by ALPN beside HTTP/1.1; http2MaxConcurrentStreams: the streams one client connection may have open. */
  listen: section(
    z.strictObject({
      address: address.default('127.0.0.1'),
      port: port.default(8443),
      headersTimeout: positiveDuration.default('60s'),
      http2: z.boolean().default(true),
      http2MaxConcurrentStreams: z.number().int().min(1).max(2 ** 31 - 1).default(250),
    }),
  ),
  tls: section(z.strictObject({ certFile: file, keyFile: file })),
  upstream: section(
    z.strictObject({
      server: httpsOrigin,
      caFile: file.optional(),
      clientCertFile: file.optional(),
      clientKeyFile: file.optional(),
      tokenFile: file.optional(),
      /** Short requests in flight upstream at once (HTTP/1.1 connections, or HTTP/2 streams). */
      maxSockets: z.number().int().min(1).max(65536).default(256),
      /** Long-running requests in flight upstream at once: watches, streaming lists, logs, exec/attach/port-forward. */
      maxLongRunning: z.number().int().min(1).max(1_000_000).default(16384),
      /** How long a request waits for a free slot before it is answered 429 with Retry-After. */
      queueTimeout: positiveDuration.default('5s'),
      /** auto: HTTP/2 when the apiserver offers it by ALPN, else HTTP/1.1. Upgrades always use HTTP/1.1. */
      protocol: z.enum(['auto', 'http2', 'http1.1']).default('auto'),
      connectTimeout: positiveDuration.default('10s'),
    }),
  ),
  authentication: authenticationSchema,
  identity: identitySchema,
  /** SubjectAccessReviews before a request spends budget (schema-auth.ts). */
  authorization: authorizationSchema,
  ops: endpoint(8081),
  logging: section(z.strictObject({ level: z.enum(LOG_LEVELS).default('info') })),
  /** SIGTERM: readiness fails for readinessGracePeriod, then requests in flight get drainTimeout (src/ops/shutdown.ts). */
  shutdown: section(z.strictObject({ readinessGracePeriod: duration.default('5s'), drainTimeout: duration.default('20s') })),
  /** The memory estimate of each request: factors, census, size model (schema-estimator.ts). */
  estimator: estimatorSchema,
  /** Leases on a byte budget, priority levels and flow schemas (schema-admission.ts). */
  admission: admissionSchema,
  /** The admission webhook that routes in-cluster pods through the gateway (schema-webhook.ts). */
  webhook: webhookSchema,
});

export type ConfigDocument = z.output<typeof configDocumentSchema>;

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
};

/** Messages an operator can act on, instead of zod's defaults. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value': {
      const choices = issue.values.map(String).join(', ');
      return issue.input === undefined ? `required (one of: ${choices})` : `must be one of: ${choices}`;
    }
    default:
      return undefined;
  }
};
