/**
 * Maps a failure to reach or talk to the upstream apiserver (errno codes, TLS verification errors, our
 * connect timeout) to a catalogue error, so the client gets a Kubernetes Status that says what broke and
 * which setting fixes it. Pure: no I/O, no clock.
 */
import { GatewayError, type ErrorCode } from '../errors.js';
import { formatDuration } from '../config/duration.js';

/** Raised by the upstream client when TCP + TLS setup takes longer than upstream.connectTimeout. */
export class UpstreamConnectTimeoutError extends Error {
  readonly code = 'LISTGATE_CONNECT_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no TLS session with the upstream within ${formatDuration(timeoutMs)}`);
    this.name = 'UpstreamConnectTimeoutError';
  }
}

/** The lanes of upstream capacity (upstream-client.ts): short requests, and long-running ones. */
export type UpstreamLane = 'short' | 'long';

/** How long a client refused for saturation is told to wait before it retries. */
export const SATURATED_RETRY_AFTER_SECONDS = 1;

/** Raised when a request found its lane full for upstream.queueTimeout: answered 429 with Retry-After. */
export class UpstreamSaturatedError extends Error {
  readonly code = 'LISTGATE_UPSTREAM_SATURATED';
  constructor(
    readonly lane: UpstreamLane,
    readonly limit: number,
    readonly waitedMs: number,
  ) {
    super(`every ${lane === 'short' ? 'short' : 'long-running'} request slot to the upstream (${limit}) stayed in use for ${formatDuration(waitedMs)}`);
    this.name = 'UpstreamSaturatedError';
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EHOSTDOWN']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const TIMEOUT = new Set(['LISTGATE_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export interface UpstreamFacts {
  server: string;
  connectTimeoutMs: number;
}

/** The errno/TLS code of an error; for an AggregateError (several addresses tried), its first inner code. */
export function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const innerCode = errorCodeOf(inner);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

function codeFor(errCode: string | undefined): ErrorCode {
  if (errCode === undefined) return 'upstream_failed';
  if (UNREACHABLE.has(errCode)) return 'upstream_unreachable';
  if (RESET.has(errCode)) return 'upstream_reset';
  if (TIMEOUT.has(errCode)) return 'upstream_connect_timeout';
  if (UNTRUSTED.has(errCode)) return 'upstream_tls_untrusted';
  if (EXPIRED.has(errCode)) return 'upstream_tls_expired';
  if (errCode === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'upstream_tls_hostname';
  if (errCode.startsWith('ERR_SSL_') || errCode === 'EPROTO' || errCode.startsWith('ERR_TLS_')) return 'upstream_tls_handshake';
  return 'upstream_failed';
}

/** A failure before the upstream's response headers arrived, as a catalogue error that keeps its cause. */
export function upstreamFailure(err: unknown, facts: UpstreamFacts): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamSaturatedError) {
    const params = {
      server: facts.server,
      lane: err.lane === 'short' ? 'short' : 'long-running',
      limit: err.limit,
      timeout: formatDuration(err.waitedMs),
      retryAfter: SATURATED_RETRY_AFTER_SECONDS,
      setting: err.lane === 'short' ? 'maxSockets' : 'maxLongRunning',
    };
    return new GatewayError('upstream_saturated', params, { cause: err, details: { retryAfterSeconds: SATURATED_RETRY_AFTER_SECONDS } });
  }
  const errCode = errorCodeOf(err);
  const code = codeFor(errCode);
  const message = err instanceof Error ? err.message : String(err);
  const tlsProblem = code.startsWith('upstream_tls_');
  const detail = tlsProblem ? `${errCode}: ${message}` : (errCode ?? message);
  return new GatewayError(code, { server: facts.server, detail, timeout: formatDuration(facts.connectTimeoutMs) }, { cause: err });
}
