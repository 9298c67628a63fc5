/**
 * The apiserver's periodic etcd compaction (every 5 minutes, to the revision seen at the previous run,
 * storage/etcd3/compact.go), driven with mocked interval timers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const FIVE_MINUTES = 5 * 60 * 1000;
const CM = '/api/v1/namespaces/default/configmaps';

describe('periodic compaction', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    t = await startTestSimulator({ seed: { namespaces: 0, secrets: 0, configmaps: 1, pods: 0, deployments: 0 } });
  });
  after(async () => {
    await t.close();
    mock.timers.reset();
  });

  const rvOf = async (): Promise<number> => Number(((await fetchSim(t, CM)).json as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
  const exact = async (rv: number): Promise<number> => (await fetchSim(t, `${CM}?resourceVersion=${rv}&resourceVersionMatch=Exact`)).status;

  it('compacts every five minutes to the revision seen five minutes earlier', async () => {
    const seeded = await rvOf();
    await fetchSim(t, CM, { method: 'POST', body: { metadata: { name: 'one' } } });
    const afterWrite = await rvOf();
    assert.equal(await exact(seeded - 1), 200, 'history is readable before any compaction');

    mock.timers.tick(FIVE_MINUTES);
    assert.equal(await exact(seeded - 1), 410, 'the first run compacts to the revision seen at start');
    assert.equal(await exact(seeded), 200, 'that revision itself stays readable');

    mock.timers.tick(FIVE_MINUTES);
    assert.equal(await exact(seeded), 410, 'the next run compacts to what the first run saw');
    assert.equal(await exact(afterWrite), 200);
  });
});
