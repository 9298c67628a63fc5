/**
 * The configuration sections of authentication and identity forwarding (zod 4 strict objects with
 * defaults), imported into the document schema in schema.ts:
 *
 *   authentication: { clientCAFiles, tokenReview: { enabled, audiences, cacheTTL, negativeCacheTTL,
 *                     cacheSize, timeout, limits: { concurrent, perSecond, perClientConcurrent,
 *                     perClientPerSecond } }, anonymous: { enabled } }
 *   identity:       { mode, requestHeader: { clientCertFile, clientKeyFile, usernameHeaders, groupHeaders,
 *                     uidHeaders, extraHeaderPrefixes } }
 *   authorization:  { enabled, cacheTTL, cacheSize, timeout }
 *
 * TokenReview results are cached 10s (authenticated, never past a JWT's own exp, revalidated in the
 * background from half the TTL on) and 10s (refused): a revoked token is refused within about the
 * apiserver's own window plus the TTL, at the price of a review per busy token every 5s (docs/operations.md).
 * The reviews are bounded per client address and in total; over the bounds a request gets 429.
 * Anonymous requests refused;
 * request-header names as kubeadm configures --requestheader-*-headers. `insecure` is never a default.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

export const IDENTITY_MODES = ['requestHeader', 'impersonate', 'passthrough', 'insecure'] as const;

const file = z.string().min(1);
const section = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? {}, schema);
const duration = (positive: boolean) =>
  z
    .string()
    .refine((s) => {
      const ms = parseDuration(s);
      return ms !== undefined && (!positive || ms > 0);
    }, positive ? 'must be a positive duration such as 10s, 500ms or 1m30s' : 'must be a duration such as 2m or 10s (0 disables)');

/** An HTTP field name (RFC 9110 token characters). */
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)');

export const authenticationSchema = section(
  z.strictObject({
    clientCAFiles: z.array(file).default([]),
    tokenReview: section(
      z.strictObject({
        enabled: z.boolean().default(true),
        audiences: z.array(z.string().min(1)).default([]),
        cacheTTL: duration(false).default('10s'),
        negativeCacheTTL: duration(false).default('10s'),
        cacheSize: z.number().int().min(0).default(10_000),
        timeout: duration(true).default('10s'),
        limits: section(
          z.strictObject({
            concurrent: z.number().int().min(1).default(32),
            perSecond: z.number().int().min(1).default(200),
            perClientConcurrent: z.number().int().min(1).default(4),
            perClientPerSecond: z.number().int().min(1).default(20),
          }),
        ),
      }),
    ),
    anonymous: section(z.strictObject({ enabled: z.boolean().default(false) })),
  }),
);

export const identitySchema = section(
  z.strictObject({
    mode: z.enum(IDENTITY_MODES),
    requestHeader: section(
      z.strictObject({
        clientCertFile: file.optional(),
        clientKeyFile: file.optional(),
        usernameHeaders: z.array(headerName).min(1).default(['X-Remote-User']),
        groupHeaders: z.array(headerName).default(['X-Remote-Group']),
        uidHeaders: z.array(headerName).default(['X-Remote-Uid']),
        extraHeaderPrefixes: z.array(headerName).default(['X-Remote-Extra-']),
      }),
    ),
  }),
);

/**
 * A request that would weigh on the budget is first checked with a SubjectAccessReview as the caller.
 * Answers (allowed or denied) are cached briefly: a revoked grant is noticed within cacheTTL.
 */
export const authorizationSchema = section(
  z.strictObject({
    enabled: z.boolean().default(true),
    cacheTTL: duration(false).default('10s'),
    cacheSize: z.number().int().min(0).default(10_000),
    timeout: duration(true).default('10s'),
  }),
);

export type AuthorizationDocument = z.output<typeof authorizationSchema>;
export type AuthenticationDocument = z.output<typeof authenticationSchema>;
export type IdentityDocument = z.output<typeof identitySchema>;
