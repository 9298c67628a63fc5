/**
 * The Status-body, review-API and metrics contracts against listgate's simulator, authorizing by RBAC-like grants.
 */
import { after, before, describe } from 'node:test';
import { metricsContract } from './metrics.contract.js';
import { reviewsContract } from './reviews.contract.js';
import { startSimulatorUpstream, type SimulatorUpstream } from './simulator-upstream.js';
import { statusContract } from './status.contract.js';

describe('upstream contract: the simulator, Status bodies, review APIs and metrics', { timeout: 60_000 }, () => {
  let up: SimulatorUpstream;
  before(async () => {
    up = await startSimulatorUpstream();
  });
  after(() => up?.close());

  statusContract(() => up);
  reviewsContract(() => up);
  metricsContract(() => up);
});
