/**
 * The WATCH and streaming-list contracts against a real kube-apiserver 1.32 with etcd 3.5 (which has the
 * progress notifications streaming lists need).
 */
import { after, before, describe } from 'node:test';
import { streamingListContract } from '../contract/watch-list.contract.js';
import { watchContract } from '../contract/watch.contract.js';
import { startApiserverUpstream, type ApiserverUpstream } from '../support/apiserver/apiserver-upstream.js';

describe('upstream contract: kube-apiserver 1.32, WATCH and streaming lists', { timeout: 240_000 }, () => {
  let up: ApiserverUpstream;
  before(async () => {
    up = await startApiserverUpstream();
  });
  after(() => up?.close());

  watchContract(() => up);
  streamingListContract(() => up);
});
