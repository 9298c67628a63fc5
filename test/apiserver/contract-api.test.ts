/**
 * The Status-body, review-API and metrics contracts against a real kube-apiserver 1.32 (RBAC, API Priority and
 * Fairness, service-account tokens).
 */
import { after, before, describe } from 'node:test';
import { metricsContract } from '../contract/metrics.contract.js';
import { reviewsContract } from '../contract/reviews.contract.js';
import { statusContract } from '../contract/status.contract.js';
import { startApiserverUpstream, type ApiserverUpstream } from '../support/apiserver/apiserver-upstream.js';

describe('upstream contract: kube-apiserver 1.32, Status bodies, review APIs and metrics', { timeout: 180_000 }, () => {
  let up: ApiserverUpstream;
  before(async () => {
    up = await startApiserverUpstream();
  });
  after(() => up?.close());

  statusContract(() => up);
  reviewsContract(() => up);
  metricsContract(() => up);
});
