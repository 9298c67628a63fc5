/**
 * SubjectAccessReview (authorization.k8s.io/v1), made with the gateway's own credentials: may this user
 * (name, uid, groups, extra) do this (resource or non-resource attributes)? The gateway asks it before
 * spending budget on a request (authorize step) and to decide a caller's impersonation.
 * Answers are cached like the apiserver's webhook authorizer caches them (pkg/authorization/webhook):
 * keyed by the whole review spec, allowed and denied alike for a short TTL, the least recently used
 * entry dropped past `maxEntries`; concurrent identical reviews share one call. A review that cannot be
 * made throws ReviewUnavailableError and is not cached: the caller fails closed. Time is injected.
 */
import type { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import { lazyApiClient } from './client-node.js';
import { describeCallFailure, timeoutOptions } from './token-review.js';
import type { UserInfo } from './user-info.js';

export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly version?: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface NonResourceAttributes {
  readonly verb: string;
  readonly path: string;
}

export type AccessAttributes = ResourceAttributes | NonResourceAttributes;

export interface AccessDecision {
  readonly allowed: boolean;
  /** The authorizer's reason, as the apiserver appends it to its Forbidden message; may be empty. */
  readonly reason: string;
  /** Answered from the cache. */
  readonly cached: boolean;
}

export interface AccessReviewer {
  review(user: UserInfo, attributes: AccessAttributes): Promise<AccessDecision>;
  readonly size: number;
}

export class ReviewUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewUnavailableError';
  }
}

/** The call itself: the spec in, `{ allowed, reason }` out; throws when it cannot be made. */
export type ReviewCall = (spec: Record<string, unknown>) => Promise<{ allowed: boolean; reason: string }>;

export function subjectAccessReviewCall(deps: { kubeConfig: () => Promise<KubeConfig>; timeoutMs: number }): ReviewCall {
  const client = lazyApiClient<AuthorizationV1Api>(deps.kubeConfig, (k8s) => k8s.AuthorizationV1Api);
  return async (spec) => {
    try {
      const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
      const { api, k8s } = await client();
      const status = (await api.createSubjectAccessReview({ body }, timeoutOptions(k8s, deps.timeoutMs))).status;
      return { allowed: status?.allowed === true && status.denied !== true, reason: status?.reason ?? '' };
    } catch (err) {
      throw new ReviewUnavailableError(`SubjectAccessReview failed: ${describeCallFailure(err)}`);
    }
  };
}

/** The SubjectAccessReview spec for a user and attributes (empty fields left out, as kubectl sends them). */
export function reviewSpec(user: UserInfo, attributes: AccessAttributes): Record<string, unknown> {
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(user.extra).sort()) extra[key] = [...user.extra[key]!];
  const compact = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  return {
    user: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    extra,
    ...('path' in attributes
      ? { nonResourceAttributes: { path: attributes.path, verb: attributes.verb } }
      : { resourceAttributes: compact({ ...attributes }) }),
  };
}

interface Entry {
  allowed: boolean;
  reason: string;
  expiresAt: number;
}

export function createAccessReviewer(deps: {
  call: ReviewCall;
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
  /** Each review asked, answered or failed (metrics). */
  observe?: (result: 'allowed' | 'denied' | 'error', cache: 'hit' | 'miss') => void;
}): AccessReviewer {
  const now = deps.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<{ allowed: boolean; reason: string }>>();
  return {
    async review(user, attributes) {
      const spec = reviewSpec(user, attributes);
      const key = JSON.stringify(spec);
      const entry = entries.get(key);
      if (entry && entry.expiresAt > now()) {
        entries.delete(key); // recency
        entries.set(key, entry);
        deps.observe?.(entry.allowed ? 'allowed' : 'denied', 'hit');
        return { allowed: entry.allowed, reason: entry.reason, cached: true };
      }
      if (entry) entries.delete(key);
      let pending = inflight.get(key);
      const shared = pending !== undefined;
      if (!pending) {
        pending = deps.call(spec);
        inflight.set(key, pending);
        pending.then(
          (answer) => {
            inflight.delete(key);
            if (deps.ttlMs <= 0 || deps.maxEntries <= 0) return;
            entries.set(key, { ...answer, expiresAt: now() + deps.ttlMs });
            while (entries.size > deps.maxEntries) entries.delete(entries.keys().next().value!);
          },
          () => inflight.delete(key),
        );
      }
      let answer;
      try {
        answer = await pending;
      } catch (err) {
        deps.observe?.('error', shared ? 'hit' : 'miss');
        throw err;
      }
      deps.observe?.(answer.allowed ? 'allowed' : 'denied', shared ? 'hit' : 'miss');
      return { ...answer, cached: shared };
    },
    get size() {
      return entries.size;
    },
  };
}
