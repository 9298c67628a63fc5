/**
 * The gateway's error catalogue: every failure a client can see from listgate itself (not relayed from the
 * apiserver) has one entry here with a stable code, the HTTP status, the Kubernetes Status reason and a
 * message template. Templates name the config key or the action that fixes the problem; `{name}`
 * placeholders are filled from our own facts (config values, errno codes), never from raw client input.
 */
import { failureStatus, type Status, type StatusDetails, type StatusReason } from './k8s/status.js';

interface CatalogueEntry {
  status: number;
  reason: StatusReason;
  message: string;
}

export const ERROR_CATALOGUE = {
  upstream_unreachable: { status: 503, reason: 'ServiceUnavailable', message: 'the Kubernetes API server at {server} is unreachable ({detail}); check upstream.server and that the API server is running' },
  upstream_reset: { status: 503, reason: 'ServiceUnavailable', message: 'the Kubernetes API server at {server} closed the connection before answering ({detail}); retry the request' },
  upstream_connect_timeout: { status: 504, reason: 'Timeout', message: 'no connection to the Kubernetes API server at {server} within {timeout}; check that it is reachable or raise upstream.connectTimeout' },
  upstream_tls_untrusted: { status: 503, reason: 'ServiceUnavailable', message: 'the certificate of the Kubernetes API server at {server} is not trusted ({detail}); set upstream.caFile to the CA that signed its serving certificate' },
  upstream_tls_hostname: { status: 503, reason: 'ServiceUnavailable', message: 'the certificate of the Kubernetes API server at {server} does not name that host ({detail}); use a host name or IP from its subjectAltName in upstream.server' },
  upstream_tls_expired: { status: 503, reason: 'ServiceUnavailable', message: 'the certificate of the Kubernetes API server at {server} is expired or not yet valid ({detail}); renew it or check the clocks' },
  upstream_tls_handshake: { status: 503, reason: 'ServiceUnavailable', message: 'the TLS handshake with the Kubernetes API server at {server} failed ({detail}); check upstream.caFile, upstream.clientCertFile and upstream.clientKeyFile' },
  upstream_failed: { status: 503, reason: 'ServiceUnavailable', message: 'the request to the Kubernetes API server at {server} failed ({detail})' },
  upstream_saturated: { status: 429, reason: 'TooManyRequests', message: "Too many requests: listgate's {lane} requests to the Kubernetes API server at {server} are all in flight ({limit}) and none finished within {timeout}; retry after {retryAfter}s, or raise upstream.{setting} (docs/operations.md: sizing the upstream lanes)" },
  upstream_aborted: { status: 502, reason: 'InternalError', message: 'the Kubernetes API server at {server} broke off the response ({detail})' },
  offload_failed: { status: 503, reason: 'ServiceUnavailable', message: 'listgate served this LIST in pieces and could not complete it: {detail}; retry the request' },
  offload_broken: { status: 502, reason: 'InternalError', message: 'listgate broke off a LIST it served in pieces: {detail}' },
  unauthorized: { status: 401, reason: 'Unauthorized', message: 'Unauthorized: listgate could not authenticate the request: {why}' },
  tokenreview_throttled: { status: 429, reason: 'TooManyRequests', message: 'Too many requests: listgate is verifying as many bearer tokens as it may ({detail}); retry after {retryAfter}s' },
  authentication_unavailable: { status: 503, reason: 'ServiceUnavailable', message: 'cannot verify the bearer token now: {detail} at {server}; listgate refuses rather than guess, retry shortly' },
  impersonation_invalid: { status: 400, reason: 'BadRequest', message: 'requested impersonation of groups, a uid or extra attributes without impersonating a user; add Impersonate-User (kubectl --as)' },
  impersonation_forbidden: { status: 403, reason: 'Forbidden', message: '{target} is forbidden: User {user} cannot impersonate resource {resource} in API group {group} {scope}; ask for RBAC permission to impersonate it' },
  forbidden: { status: 403, reason: 'Forbidden', message: '{subject}: User {user} cannot {verb} {object}{reason}' },
  authorization_unavailable: { status: 503, reason: 'ServiceUnavailable', message: 'cannot check the request\'s authorization now: {detail} at {server}; listgate refuses rather than guess, retry shortly' },
  impersonation_unavailable: { status: 503, reason: 'ServiceUnavailable', message: 'cannot check the impersonation now: {detail} at {server}; retry shortly' },
  identity_unsendable: { status: 400, reason: 'BadRequest', message: 'the identity cannot be forwarded: a user name, group, uid or extra value holds a control character' },
  target_malformed: { status: 400, reason: 'BadRequest', message: 'listgate refuses the request: {why}' },
  target_not_served: { status: 404, reason: 'NotFound', message: 'the server could not find the requested resource: {why}' },
  method_not_allowed: { status: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource: {method} is not served' },
  internal: { status: 500, reason: 'InternalError', message: 'internal error in listgate; look for request {requestId} in its log' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export type ErrorParams = Readonly<Record<string, string | number>>;

/** Fills `{name}` placeholders; unknown placeholders stay visible so a missing parameter is noticed. */
export function formatMessage(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

/** A failure with a catalogue code; `cause` keeps the underlying error for the log. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  /** The Status's `details` (the object the failure is about, when to retry), when there are any. */
  readonly details: StatusDetails | undefined;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: { cause?: unknown; details?: StatusDetails }) {
    super(formatMessage(ERROR_CATALOGUE[code].message, params), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.params = params;
    this.details = options?.details;
  }

  /** Response headers the failure calls for: Retry-After when the details name a time to retry. */
  get headers(): Record<string, string> {
    const retry = this.details?.retryAfterSeconds;
    return retry === undefined ? {} : { 'Retry-After': String(retry) };
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  toStatus(): Status {
    const entry = ERROR_CATALOGUE[this.code];
    return failureStatus(entry.status, entry.reason, this.message, this.details);
  }
}

/** The Status a client gets for a catalogue code. */
export function errorStatus(code: ErrorCode, params: ErrorParams = {}): Status {
  return new GatewayError(code, params).toStatus();
}
