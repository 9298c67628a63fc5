/**
 * The discovery and LIST contracts against a real kube-apiserver 1.32 with etcd 3.5.
 */
import { after, before, describe } from 'node:test';
import { discoveryContract } from '../contract/discovery.contract.js';
import { listPagingContract } from '../contract/list-paging.contract.js';
import { listRepresentationsContract } from '../contract/list-representations.contract.js';
import { listResourceVersionContract } from '../contract/list-resource-version.contract.js';
import { startApiserverUpstream, type ApiserverUpstream } from '../support/apiserver/apiserver-upstream.js';

describe('upstream contract: kube-apiserver 1.32, discovery and LIST', { timeout: 180_000 }, () => {
  let up: ApiserverUpstream;
  before(async () => {
    up = await startApiserverUpstream();
  });
  after(() => up?.close());

  discoveryContract(() => up);
  listPagingContract(() => up);
  listResourceVersionContract(() => up);
  listRepresentationsContract(() => up);
});
