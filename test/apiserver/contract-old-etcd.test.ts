/**
 * The contracts of a 1.32 apiserver on Debian's etcd 3.4.23, older than 3.4.31 and without the progress
 * notifications that streaming lists and consistent reads from the watch cache need: streaming lists are
 * refused as the simulator's `watchList: false` refuses them, and consistent LISTs are read from etcd (and
 * counted there), the configuration the simulator's LIST model follows (CALIBRATION.md). Needs
 * `/usr/bin/etcd` (Debian's etcd-server package).
 */
import { existsSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { listPagingContract } from '../contract/list-paging.contract.js';
import { listResourceVersionContract } from '../contract/list-resource-version.contract.js';
import { metricsContract } from '../contract/metrics.contract.js';
import { streamingListUnsupportedContract } from '../contract/watch-list.contract.js';
import { startApiserverUpstream, type ApiserverUpstream } from '../support/apiserver/apiserver-upstream.js';

const ETCD_34 = '/usr/bin/etcd';

describe('upstream contract: kube-apiserver 1.32 on etcd 3.4.23', { timeout: 180_000 }, () => {
  let up: ApiserverUpstream;
  before(async () => {
    if (!existsSync(ETCD_34)) throw new Error(`${ETCD_34} is missing: install Debian's etcd-server (apt-get install etcd-server)`);
    up = await startApiserverUpstream({ etcd: { binary: ETCD_34, extraFlags: ['--logger=zap'] }, streamingLists: false });
  });
  after(() => up?.close());

  streamingListUnsupportedContract(() => up);
  listPagingContract(() => up);
  listResourceVersionContract(() => up);
  metricsContract(() => up);
});
