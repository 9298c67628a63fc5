/**
 * The typed per-request context that flows one way through the pipeline. `beginRequest` writes the base
 * (id, logger, headers with identity headers already stripped); each later step takes any context and
 * returns it extended with exactly its own field:
 *   authenticate → `user`, `upstreamIdentity` (src/auth/authenticate-step.ts)
 *   classify     → `classification`
 *   estimate     → `estimate`
 *   authorize    → `authorization` (authorize-step.ts: a SubjectAccessReview before a request weighs on admission)
 *   admit        → `decision`, `lease`, `admission`, `warnings`, `proceed` (admit-step.ts; the request log and metrics read `decision`)
 * so inserting a step changes the chain in pipeline.ts and nothing else.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { UpstreamIdentity } from '../auth/authenticate-step.js';
import { CREDENTIAL_HEADERS } from '../log.js';
import type { UserInfo } from '../auth/user-info.js';
import type { EstimatedFields } from './estimate-step.js';
import type { MeteredResponse } from './response-meter.js';
import type { OffloadOutcome } from './offload-metrics.js';
import { GatewayError, type ErrorCode } from '../errors.js';
import { describeRefusal } from '../k8s/request-target.js';
import { classifyRequest, RequestTargetError, type Classification } from './classify-request.js';
import { scrubIdentityHeaders, stripIdentityHeaders } from './identity-headers.js';
import type { RawHeaders } from './raw-headers.js';

export interface HttpExchange {
  readonly type: 'http';
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

export interface UpgradeExchange {
  readonly type: 'upgrade';
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
}

export type Exchange = HttpExchange | UpgradeExchange;

/** What happened; the proxy fills it in as it goes, the request log and metrics read it at the end. */
export interface RequestOutcome {
  /** The HTTP status the client got (101 for a tunnel); 0 while unknown. */
  code: number;
  bytesToClient: number;
  bytesFromClient: number;
  /** Catalogue code of the failure, if the gateway answered or broke off with one. */
  error?: ErrorCode;
  /** The client went away before the response was complete. */
  clientClosed?: boolean;
  /** Decoded bytes of a LIST response measured whole on its way to the client (the learn step writes it). */
  observedBytes?: number;
  /** A LIST response's settled observation, for the learn step (the proxy's meter, response-meter.ts). */
  metered?: Promise<MeteredResponse>;
  /** How an offloaded LIST was served (offload-proxy.ts): its mode, pieces, items, restarts, and result. */
  offload?: OffloadOutcome;
}

/**
 * How an exchange finished, decided exactly once by the proxy: the whole response reached the client
 * (`ended`), the client went away first (`aborted`), or the upstream failed or broke off (`failed`).
 */
export type ResponseEnd = 'ended' | 'aborted' | 'failed';

export interface RequestContext<E extends Exchange = Exchange> {
  /** Request id: a uuid like the apiserver's Audit-ID; sent upstream and returned to the client. */
  readonly id: string;
  readonly exchange: E;
  readonly method: string;
  /** The request target as received (classify reads it once into `classification.target`, which is forwarded). */
  readonly url: string;
  /** The request headers in raw form, incoming identity headers removed. */
  readonly headers: RawHeaders;
  readonly clientAddress: string;
  /** Milliseconds on the pipeline's clock. */
  readonly startedAt: number;
  readonly log: Logger;
  readonly outcome: RequestOutcome;
}

/** The headers with credential values masked (as pino's `redact` masks them by default). */
function maskCredentials(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const masked = { ...headers };
  for (const name of CREDENTIAL_HEADERS) if (masked[name] !== undefined) masked[name] = '[Redacted]';
  return masked;
}

/**
 * Step 0, before anything else: strip identity headers (`isIdentityHeader`: the forwarding mode's rule,
 * src/auth/identity-header-policy.ts), give the request its id and logger. `req.rawHeaders` keeps the
 * original for the authentication step alone (impersonate mode reads the caller's Impersonate-* there).
 */
export function beginRequest<E extends Exchange>(
  exchange: E,
  deps: { logger: Logger; now: () => number; isIdentityHeader?: (name: string) => boolean },
): RequestContext<E> {
  const { req } = exchange;
  scrubIdentityHeaders(req.headers, deps.isIdentityHeader);
  const id = randomUUID();
  // A plain child: one with its own `redact` option compiles its redaction anew for every request.
  // The only per-request record with headers masks credentials itself, whatever logger it is given.
  const log = deps.logger.child({ requestId: id });
  if (log.isLevelEnabled('debug')) log.debug({ method: req.method, url: req.url, headers: maskCredentials(req.headers) }, 'request received');
  return {
    id,
    exchange,
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: stripIdentityHeaders(req.rawHeaders, deps.isIdentityHeader),
    clientAddress: req.socket.remoteAddress ?? '',
    startedAt: deps.now(),
    log,
    outcome: { code: 0, bytesToClient: 0, bytesFromClient: 0 },
  };
}

/**
 * Step 2, classify: adds `classification`, whose `target` is what the proxy forwards. Reads only what the
 * base context carries; a target the apiserver would not serve as its plain path is answered with a Status.
 */
export function withClassification<C extends RequestContext>(ctx: C): C & { readonly classification: Classification } {
  try {
    return { ...ctx, classification: classifyRequest(ctx.method, ctx.url, ctx.exchange.req.headers) };
  } catch (err) {
    if (!(err instanceof RequestTargetError)) throw err;
    const notServed = err.refusal === 'dot_segment' || err.refusal === 'empty_segment';
    throw new GatewayError(notServed ? 'target_not_served' : 'target_malformed', { why: describeRefusal(err.refusal) });
  }
}

/** After step 1, authenticate: who the caller is, and the identity headers the upstream gets for it. */
export type AuthenticatedContext<E extends Exchange = Exchange> = RequestContext<E> & {
  readonly user: UserInfo;
  readonly upstreamIdentity: UpstreamIdentity;
};

export type ClassifiedContext<E extends Exchange = Exchange> = AuthenticatedContext<E> & { readonly classification: Classification };

/** After step 3, estimate (estimate-step.ts): the bytes the apiserver is expected to hold for the request. */
export type EstimatedContext<E extends Exchange = Exchange> = ClassifiedContext<E> & EstimatedFields;
