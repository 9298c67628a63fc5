/**
 * The WATCH and streaming-list contracts against listgate's simulator: its default (1.32 serving streaming
 * lists) and `watchList: false` (a 1.32 apiserver on an etcd without progress notifications).
 */
import { after, before, describe } from 'node:test';
import { startSimulatorUpstream, type SimulatorUpstream } from './simulator-upstream.js';
import { streamingListContract, streamingListUnsupportedContract } from './watch-list.contract.js';
import { watchContract } from './watch.contract.js';

describe('upstream contract: the simulator, WATCH and streaming lists', { timeout: 60_000 }, () => {
  let up: SimulatorUpstream;
  before(async () => {
    up = await startSimulatorUpstream();
  });
  after(() => up?.close());

  watchContract(() => up);
  streamingListContract(() => up);
});

describe('upstream contract: the simulator without streaming lists (watchList: false)', { timeout: 60_000 }, () => {
  let up: SimulatorUpstream;
  before(async () => {
    up = await startSimulatorUpstream({ watchList: false });
  });
  after(() => up?.close());

  streamingListUnsupportedContract(() => up);
});
