/**
 * Estimator.reconfigure, a reload applied in place: configured size seeds replaced (a seed no longer
 * configured is gone), factors re-resolved for the version already discovered, census tunables retuned;
 * what was learned from responses and counted is kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createEstimator } from '../../src/estimate/create-estimator.js';
import { inputOf } from './estimate-fixture.js';

describe('Estimator.reconfigure', () => {
  it('applies new settings and keeps what it learned and counted', () => {
    let clock = 1_000_000;
    const estimator = createEstimator({
      settings: { census: { sources: ['response'], unknownCount: 1000 }, sizes: { seeds: [{ group: '', resource: 'configmaps', bytes: 4000 }] } },
      registry: new Registry(),
      now: () => clock,
      upstreamVersion: 'v1.32.6',
    });
    estimator.sizes.observe({ group: '', resource: 'secrets', encoding: 'json', bytes: 50_000, items: 10 });
    estimator.census.observe({ group: '', resource: 'secrets', count: 10 });
    const profile = estimator.factors().profile.fromVersion;
    const widgets = () => estimator.estimate(inputOf('GET', '/apis/example.com/v1/widgets')).objects;
    assert.equal(estimator.sizes.averageBytes('', 'configmaps').bytes, 4000);
    assert.equal(widgets(), 1000);

    estimator.reconfigure({
      census: { sources: ['response'], unknownCount: 300, staleAfterMs: 1_000 },
      sizes: { seeds: [{ group: 'apps', resource: 'deployments', bytes: 9000 }] },
      factors: { defaultObjectBytes: 777 },
    });
    assert.equal(widgets(), 300, 'census tunables');
    assert.equal(estimator.sizes.averageBytes('apps', 'deployments').bytes, 9000, 'a new seed');
    assert.equal(estimator.sizes.averageBytes('', 'configmaps').bytes, 777, 'a seed no longer configured is gone: the new default');
    assert.equal(estimator.sizes.averageBytes('', 'secrets').bytes, 5000, 'learned sizes kept');
    assert.equal(estimator.factors().profile.fromVersion, profile, 'the discovered version still chooses the profile');
    assert.equal(estimator.census.count('', 'secrets').count, 10, 'counts kept');
    clock += 2_000;
    const stale = estimator.census.count('', 'secrets');
    assert.deepEqual([stale.conservative, stale.count], [true, 20], 'the new staleAfter applies to them (stale: priced ×2)');
  });
});
