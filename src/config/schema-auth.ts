/**
 * The configuration sections of authentication and identity forwarding (zod 4 strict objects with
 * defaults), imported into the document schema in schema.ts:
 *
 *   authentication: { clientCAFiles, tokenReview: { enabled, audiences, cacheTTL, negativeCacheTTL,
 *                     cacheSize, timeout }, anonymous: { enabled } }
 *   identity:       { mode, requestHeader: { clientCertFile, clientKeyFile, usernameHeaders, groupHeaders,
 *                     uidHeaders, extraHeaderPrefixes } }
 *
 * Defaults follow the apiserver's: TokenReview results cached 2m (authenticated) and 10s (refused), like
 * --authentication-token-webhook-cache-ttl and the webhook's negative TTL; anonymous requests refused;
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
        cacheTTL: duration(false).default('2m'),
        negativeCacheTTL: duration(false).default('10s'),
        cacheSize: z.number().int().min(0).default(10_000),
        timeout: duration(true).default('10s'),
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

export type AuthenticationDocument = z.output<typeof authenticationSchema>;
export type IdentityDocument = z.output<typeof identitySchema>;
