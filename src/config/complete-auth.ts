/**
 * Completes the authentication and identity sections into their frozen Config parts (durations in
 * milliseconds, files resolved, header names lower-cased for matching), and the rules that span keys:
 * - requestHeader mode needs the front-proxy client certificate and key;
 * - passthrough forwards the caller's bearer token, so it needs TokenReview and cannot take client
 *   certificates (there is nothing to pass through for them);
 * - at least one way to authenticate a caller (client CAs, TokenReview or anonymous).
 */
import type { ReviewLimits } from '../auth/review-limiter.js';
import type { ConfigIssue } from './config-error.js';
import { parseDuration } from './duration.js';
import type { AuthenticationDocument, AuthorizationDocument, IDENTITY_MODES, IdentityDocument } from './schema-auth.js';

export type IdentityMode = (typeof IDENTITY_MODES)[number];

export interface TokenReviewConfig {
  readonly enabled: boolean;
  /** Sent as spec.audiences; empty: the apiserver's own audiences. */
  readonly audiences: readonly string[];
  readonly cacheTtlMs: number;
  readonly negativeCacheTtlMs: number;
  readonly cacheSize: number;
  readonly timeoutMs: number;
  /** Bounds on the TokenReviews made (src/auth/review-limiter.ts). */
  readonly limits: ReviewLimits;
}

export interface AuthenticationConfig {
  /** PEM bundles of the CAs that sign client certificates; empty: no certificate is asked for. */
  readonly clientCAFiles: readonly string[];
  readonly tokenReview: TokenReviewConfig;
  readonly anonymous: { readonly enabled: boolean };
}

export interface RequestHeaderConfig {
  /** The front-proxy client certificate presented upstream in requestHeader mode. */
  readonly clientCertFile: string | undefined;
  readonly clientKeyFile: string | undefined;
  /** Header names as configured (the spelling sent upstream). */
  readonly usernameHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly uidHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

export interface IdentityConfig {
  /** How the caller's identity reaches the apiserver. `insecure`: it does not (dev only). */
  readonly mode: IdentityMode;
  readonly requestHeader: RequestHeaderConfig;
}

/** SubjectAccessReviews before a request spends budget (src/gateway/authorize-step.ts). */
export interface AuthorizationConfig {
  readonly enabled: boolean;
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  readonly timeoutMs: number;
}

export function completeAuthorization(doc: AuthorizationDocument): AuthorizationConfig {
  return { enabled: doc.enabled, cacheTtlMs: parseDuration(doc.cacheTTL)!, cacheSize: doc.cacheSize, timeoutMs: parseDuration(doc.timeout)! };
}

export function completeAuthentication(doc: AuthenticationDocument, file: (p: string) => string): AuthenticationConfig {
  const tr = doc.tokenReview;
  return {
    clientCAFiles: doc.clientCAFiles.map(file),
    tokenReview: {
      enabled: tr.enabled,
      audiences: [...tr.audiences],
      cacheTtlMs: parseDuration(tr.cacheTTL)!,
      negativeCacheTtlMs: parseDuration(tr.negativeCacheTTL)!,
      cacheSize: tr.cacheSize,
      timeoutMs: parseDuration(tr.timeout)!,
      limits: { ...tr.limits },
    },
    anonymous: { enabled: doc.anonymous.enabled },
  };
}

export function completeIdentity(doc: IdentityDocument, file: (p: string) => string): IdentityConfig {
  const rh = doc.requestHeader;
  return {
    mode: doc.mode,
    requestHeader: {
      clientCertFile: rh.clientCertFile === undefined ? undefined : file(rh.clientCertFile),
      clientKeyFile: rh.clientKeyFile === undefined ? undefined : file(rh.clientKeyFile),
      usernameHeaders: [...rh.usernameHeaders],
      groupHeaders: [...rh.groupHeaders],
      uidHeaders: [...rh.uidHeaders],
      extraHeaderPrefixes: [...rh.extraHeaderPrefixes],
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Rules across the two sections, read from the raw document so they report alongside per-key errors. */
export function authCrossFieldIssues(doc: unknown): ConfigIssue[] {
  const root = record(doc);
  const authn = record(root.authentication);
  const identity = record(root.identity);
  const requestHeader = record(identity.requestHeader);
  const tokenReview = record(authn.tokenReview);
  const issues: ConfigIssue[] = [];
  const mode = identity.mode;
  const hasCAs = Array.isArray(authn.clientCAFiles) && authn.clientCAFiles.length > 0;
  const tokenReviewOn = tokenReview.enabled !== false;
  const anonymousOn = record(authn.anonymous).enabled === true;

  const cert = requestHeader.clientCertFile !== undefined;
  const key = requestHeader.clientKeyFile !== undefined;
  if (mode === 'requestHeader' && !cert && !key) {
    issues.push({ path: 'identity.requestHeader', message: 'requestHeader mode needs the front-proxy client certificate: clientCertFile and clientKeyFile' });
  } else if (cert !== key) {
    const missing = cert ? 'clientKeyFile' : 'clientCertFile';
    issues.push({ path: `identity.requestHeader.${missing}`, message: `required when identity.requestHeader.${cert ? 'clientCertFile' : 'clientKeyFile'} is set` });
  }
  if (mode === 'passthrough') {
    if (hasCAs) {
      issues.push({ path: 'authentication.clientCAFiles', message: "passthrough forwards the caller's bearer token; client certificates cannot be passed through (remove clientCAFiles or use requestHeader mode)" });
    }
    if (!tokenReviewOn) {
      issues.push({ path: 'authentication.tokenReview.enabled', message: 'passthrough needs TokenReview to authenticate the bearer tokens it forwards' });
    }
  }
  if (!hasCAs && !tokenReviewOn && !anonymousOn) {
    issues.push({ path: 'authentication', message: 'no way to authenticate a caller: set clientCAFiles, tokenReview.enabled or anonymous.enabled' });
  }
  return issues;
}
