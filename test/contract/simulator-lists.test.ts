/**
 * The discovery and LIST contracts against listgate's simulator (its default profile, 1.32).
 */
import { after, before, describe } from 'node:test';
import { discoveryContract } from './discovery.contract.js';
import { listPagingContract } from './list-paging.contract.js';
import { listRepresentationsContract } from './list-representations.contract.js';
import { listResourceVersionContract } from './list-resource-version.contract.js';
import { startSimulatorUpstream, type SimulatorUpstream } from './simulator-upstream.js';

describe('upstream contract: the simulator, discovery and LIST', { timeout: 60_000 }, () => {
  let up: SimulatorUpstream;
  before(async () => {
    up = await startSimulatorUpstream();
  });
  after(() => up?.close());

  discoveryContract(() => up);
  listPagingContract(() => up);
  listResourceVersionContract(() => up);
  listRepresentationsContract(() => up);
});
