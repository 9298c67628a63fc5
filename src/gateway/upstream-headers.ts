/**
 * The headers sent upstream for a request whose incoming identity headers are already gone: hop-by-hop
 * headers removed, Host set to the apiserver, `X-Forwarded-*` describing the client hop, our request id
 * as `Audit-ID` (the apiserver then logs and returns the same id), and the credentials the identity
 * mode calls for: the caller's Authorization never goes upstream as sent; the authentication step's
 * identity headers do (X-Remote-* in requestHeader mode, Impersonate-* in impersonate mode, the caller's
 * authenticated bearer token in passthrough mode, none in insecure mode), then the gateway's own token
 * when the upstream client authenticates with one. Pure.
 */
import type { UpstreamIdentity } from '../auth/authenticate-step.js';
import type { IdentityMode } from '../config/parse-config.js';
import { removeHopByHopHeaders } from './hop-by-hop.js';
import { filterHeaders, headerValue, type RawHeaders } from './raw-headers.js';

export interface UpstreamHeaderOptions {
  identityMode: IdentityMode;
  /** The gateway's bearer token for the upstream, if it authenticates with one (else its client cert). */
  token: string | undefined;
  /** Host header value for the upstream (`127.0.0.1:6443`). */
  upstreamHost: string;
  /** The client's address as the gateway saw it. */
  clientAddress: string;
  requestId: string;
  /** The authentication step's headers carrying the caller's identity (src/auth/forward-identity.ts). */
  identityHeaders?: RawHeaders;
  /** Keep `Upgrade` and `Connection: Upgrade` (WebSocket / SPDY tunnels). */
  upgrade: boolean;
}

/** Headers the gateway sets itself; whatever the client sent under these names is replaced. */
const REPLACED = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'audit-id']);

export function buildUpstreamHeaders(incoming: RawHeaders, opts: UpstreamHeaderOptions): string[] {
  const endToEnd = removeHopByHopHeaders(incoming, { keepUpgrade: opts.upgrade });
  const kept = filterHeaders(endToEnd, (name) => !REPLACED.has(name) && name !== 'authorization');

  const priorFor = headerValue(incoming, 'x-forwarded-for');
  const forwardedFor = priorFor ? `${priorFor}, ${opts.clientAddress}` : opts.clientAddress;
  const out = [
    'Host', opts.upstreamHost,
    ...kept,
    'X-Forwarded-For', forwardedFor,
    'X-Forwarded-Proto', 'https',
    'Audit-ID', opts.requestId,
  ];
  const originalHost = headerValue(incoming, 'host');
  if (originalHost !== undefined) out.push('X-Forwarded-Host', originalHost);
  if (opts.identityHeaders) out.push(...opts.identityHeaders);
  if (opts.token !== undefined) out.push('Authorization', `Bearer ${opts.token}`);
  return out;
}

/** Response headers relayed to the client: everything but hop-by-hop headers; our id when the upstream sent none. */
export function buildResponseHeaders(upstream: RawHeaders, requestId: string): string[] {
  const out = removeHopByHopHeaders(upstream);
  if (headerValue(out, 'audit-id') === undefined) out.push('Audit-Id', requestId);
  return out;
}

/** The upstream headers for an authenticated request, from what its context and the upstream client say. */
export function upstreamHeadersFor(
  ctx: { readonly headers: RawHeaders; readonly clientAddress: string; readonly id: string; readonly upstreamIdentity: UpstreamIdentity },
  opts: { identityMode: IdentityMode; upstream: { readonly token: string | undefined; readonly hostHeader: string }; upgrade: boolean },
): string[] {
  return buildUpstreamHeaders(ctx.headers, {
    identityMode: opts.identityMode,
    token: opts.upstream.token,
    upstreamHost: opts.upstream.hostHeader,
    clientAddress: ctx.clientAddress,
    requestId: ctx.id,
    identityHeaders: ctx.upstreamIdentity.headers,
    upgrade: opts.upgrade,
  });
}
