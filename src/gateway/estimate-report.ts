/**
 * One request's estimate explained, as `GET /debug/estimate` on the ops port answers it and `listgate
 * estimate` prints it: what the request is, which count and size were used and where they came from (and
 * how old), the factors in force, the response and memory expected, and what admission would decide now.
 * Plain JSON (an unknown count's age is `null`, not Infinity). Pure.
 */
import type { UserInfo } from '../auth/user-info.js';
import type { Estimate } from '../estimate/estimate-types.js';
import type { Factors } from '../estimate/factors.js';
import type { Classification } from './classify-request.js';

/** Admission's dry run for a request, when admission is configured (the admission issue supplies it). */
export type AdmissionDryRun = (q: { user: UserInfo; classification: Classification; estimate: Estimate; accept?: string }) => { decision: string; reasons: string[] };

export const NO_ADMISSION = 'admission not configured';

export interface EstimateReport {
  /** `gateway`: the running gateway's models; `upstream`: a fresh estimator asked the upstream directly. */
  via: 'gateway' | 'upstream';
  request: { method: string; path: string; accept: string; user: string; groups: string[] };
  kind: Classification['kind'];
  verb: string;
  resource: string;
  namespace: string;
  class: Estimate['class'];
  /** Where the apiserver reads it from: `etcd`, `cache`, or null when it reads nothing. */
  servedFrom: Estimate['source'] | null;
  objects: number;
  averageObjectBytes: number;
  responseBytes: number;
  factor: number;
  estimatedBytes: number;
  /** How much the estimate rests on (estimate-types.ts Confidence), and the bytes its margin added. */
  confidence: Estimate['confidence'];
  marginBytes: number;
  sources: { count: Estimate['countSource']; countAgeSeconds: number | null; size: Estimate['sizeSource'] };
  factors: {
    upstreamVersion: string | null;
    profile: string;
    profileSource: string;
    consistentListFromCache: boolean;
    /** Where this upstream was seen to serve consistent LISTs: `cache`, `etcd`, or null while unknown. */
    consistentReadsObserved: 'cache' | 'etcd' | null;
    paginatedListFromCache: boolean;
    amplification: Factors['profile']['amplification'];
    encodingRatio: Factors['encodingRatio'];
  };
  decision: string;
  decisionReasons: string[];
  reasons: string[];
}

export function buildEstimateReport(q: {
  via: EstimateReport['via'];
  method: string;
  path: string;
  accept: string;
  user: UserInfo;
  classification: Classification;
  estimate: Estimate;
  factors: Factors;
  consistentReads?: 'cache' | 'etcd' | undefined;
  admission?: AdmissionDryRun;
}): EstimateReport {
  const { estimate: e, classification: c, factors: f } = q;
  const admitted = q.admission?.({ user: q.user, classification: c, estimate: e, accept: q.accept });
  const age = e.countAgeSeconds;
  return {
    via: q.via,
    request: { method: q.method, path: q.path, accept: q.accept, user: q.user.username, groups: [...q.user.groups] },
    kind: c.kind,
    verb: c.info.verb,
    resource: c.info.resource,
    namespace: c.info.namespace,
    class: e.class,
    servedFrom: e.source ?? null,
    objects: e.objects,
    averageObjectBytes: Math.round(e.averageObjectBytes),
    responseBytes: e.responseBytes,
    factor: Math.round(e.factor * 1000) / 1000,
    estimatedBytes: e.estimatedBytes,
    confidence: e.confidence,
    marginBytes: e.marginBytes ?? 0,
    sources: { count: e.countSource, countAgeSeconds: age === undefined || !Number.isFinite(age) ? null : Math.round(age), size: e.sizeSource },
    factors: {
      upstreamVersion: f.upstreamVersion ?? null,
      profile: f.profile.fromVersion,
      profileSource: f.profile.source,
      consistentListFromCache: f.profile.consistentListFromCache,
      consistentReadsObserved: q.consistentReads ?? null,
      paginatedListFromCache: f.profile.paginatedListFromCache,
      amplification: f.profile.amplification,
      encodingRatio: f.encodingRatio,
    },
    decision: admitted?.decision ?? NO_ADMISSION,
    decisionReasons: admitted?.reasons ?? ['no admission step is configured: every request goes through (the estimate is only logged)'],
    reasons: e.reasons,
  };
}
