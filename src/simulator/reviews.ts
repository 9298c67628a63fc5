/**
 * The review APIs (create-only, never stored), answering 201 like their REST storages:
 * - TokenReview (pkg/registry/authentication/tokenreview/storage.go): the token is checked against the
 *   static token table; a static token is audience-agnostic (authenticator.WrapAudienceAgnosticToken), so
 *   it is valid for the API audiences and status.audiences echoes the intersection with spec.audiences
 *   (or the API audiences when none were asked for); an unknown token gives `status: {user: {}}` with the
 *   authenticators' error, as a service-account token's review words it.
 * - SelfSubjectReview (pkg/registry/authentication/selfsubjectreview/rest.go): the caller's identity, what
 *   `kubectl auth whoami` prints.
 * - SubjectAccessReview: validated (access-reviews.ts) and answered by the simulator's authorizer
 *   (authorizer.ts);
 * - SelfSubjectAccessReview and SelfSubjectRulesReview: the caller's own answers (access-reviews.ts).
 */
import { invalidAccessReview, serveSelfSubjectAccessReview, serveSelfSubjectRulesReview } from './access-reviews.js';
import { badRequest } from './api-errors.js';
import { lookupToken, type Identity } from './authn.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { isStatus, readBody, readJsonBody, sendJson, sendStatus } from './http-io.js';

/** kube-apiserver's default --api-audiences (its service account issuer). */
export const API_AUDIENCES = ['https://kubernetes.default.svc.cluster.local'];

type Obj = Record<string, unknown>;

function userInfo(identity: Identity): Obj {
  return {
    username: identity.user,
    ...(identity.uid ? { uid: identity.uid } : {}),
    groups: identity.groups,
    ...(identity.extra ? { extra: identity.extra } : {}),
  };
}

function reviewStatus(ctx: SimulatorContext, spec: Obj): Obj {
  const token = typeof spec['token'] === 'string' ? spec['token'] : '';
  const found = lookupToken(ctx.tokens, token);
  const asked = Array.isArray(spec['audiences']) ? spec['audiences'].filter((a): a is string => typeof a === 'string') : [];
  const audiences = asked.length > 0 ? API_AUDIENCES.filter((a) => asked.includes(a)) : API_AUDIENCES;
  if (!found) return { user: {}, error: 'invalid bearer token' };
  if (audiences.length === 0) {
    const list = (xs: string[]): string => `[${xs.map((a) => JSON.stringify(a)).join(' ')}]`;
    return { user: {}, error: `[invalid bearer token, token audiences ${list(API_AUDIENCES)} is invalid for the target audiences ${list(asked)}]` };
  }
  const groups = found.groups.includes('system:authenticated') ? found.groups : [...found.groups, 'system:authenticated'];
  return { authenticated: true, user: userInfo({ ...found, groups }), audiences };
}

export async function serveReview(ctx: SimulatorContext, r: ResourceRequest): Promise<void> {
  // A SelfSubjectReview has nothing to read (kubectl sends it as protobuf): drain it, answer the caller.
  const body = r.def.resource === 'selfsubjectreviews' ? (await readBody(r.req), {}) : await readJsonBody(r.req);
  if (isStatus(body)) return sendStatus(r.res, body);
  const spec = ((body as Obj)['spec'] ?? {}) as Obj;
  const head = { kind: r.def.kind, apiVersion: `${r.def.group}/${r.def.version}`, metadata: { creationTimestamp: null } };
  switch (r.def.resource) {
    case 'tokenreviews':
      if (typeof spec['token'] !== 'string' || spec['token'] === '') {
        return sendStatus(r.res, badRequest('token is required for TokenReview in authentication'));
      }
      return sendJson(r.res, 201, { ...head, spec, status: reviewStatus(ctx, spec) });
    case 'selfsubjectreviews':
      return sendJson(r.res, 201, { ...head, status: { userInfo: userInfo(r.identity) } });
    case 'selfsubjectaccessreviews':
      return serveSelfSubjectAccessReview(ctx, r, body as Obj);
    case 'selfsubjectrulesreviews':
      return serveSelfSubjectRulesReview(ctx, r, body as Obj);
    default: {
      const refused = invalidAccessReview(spec, false);
      return refused ? sendStatus(r.res, refused) : sendJson(r.res, 201, { ...head, spec, status: ctx.authorizer.review(spec) });
    }
  }
}
