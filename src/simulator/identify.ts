/**
 * Who a request is from, end to end: authenticate (authn.ts), then the caller's impersonation headers,
 * allowed only to those the authorizer lets impersonate (403 Forbidden otherwise, as the apiserver's
 * impersonation filter answers). `recorded` is the identity the request log keeps for a refusal.
 */
import type { IncomingMessage } from 'node:http';
import type { Status } from '../k8s/status.js';
import { internalError, unauthorized } from './api-errors.js';
import { authenticate, impersonate, type AuthnDeps, type Identity } from './authn.js';
import { impersonationForbidden, type SimulatorAuthorizer } from './authorizer.js';

export type Identification =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly status: Status; readonly recorded: Identity | undefined };

export function identifyRequest(req: IncomingMessage, deps: AuthnDeps & { authorizer: SimulatorAuthorizer }): Identification {
  const authenticated = authenticate(req, deps);
  if (!authenticated) return { ok: false, status: unauthorized(), recorded: undefined };
  const identity = impersonate(req, authenticated);
  if ('error' in identity) return { ok: false, status: internalError(identity.error), recorded: authenticated };
  if (identity !== authenticated && !deps.authorizer.mayImpersonate(authenticated)) {
    return { ok: false, status: impersonationForbidden(authenticated, identity.user), recorded: authenticated };
  }
  return { ok: true, identity };
}
