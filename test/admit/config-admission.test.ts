/**
 * The `admission` config section: defaults an operator expects, quantities and durations completed into
 * bytes and milliseconds, and every mistake reported with its key path, alongside the other errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FLOW_SCHEMAS, DEFAULT_LEVELS } from '../../src/admit/admission-settings.js';
import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/config.js';

const VALID = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', clientCertFile: 'gateway.crt', clientKeyFile: 'gateway.key' },
  identity: { mode: 'insecure' },
};

const parse = (admission: unknown) => parseConfig({ ...VALID, admission }, { baseDir: '/etc/listgate' }).admission;

function issuesOf(admission: unknown): ConfigIssue[] {
  try {
    parse(admission);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  assert.fail('expected the document to be refused');
}

describe('config: admission', () => {
  it('defaults: 6Gi budget, the four levels and five flow schemas, streaming lists probed', () => {
    const a = parse(undefined);
    assert.equal(a.enabled, true);
    assert.equal(a.budgetBytes, 6 * 1024 ** 3);
    assert.equal(a.smallRequestBytes, 1024 ** 2);
    assert.equal(a.maxRetryAfterSeconds, 32);
    assert.equal(a.streamingLists, 'auto');
    assert.deepEqual(a.levels, DEFAULT_LEVELS);
    assert.deepEqual(a.flowSchemas, DEFAULT_FLOW_SCHEMAS);
    assert.ok(Object.isFrozen(a.levels[0]));
  });

  it('completes quantities and durations', () => {
    const a = parse({
      budget: '1.5Gi',
      smallRequestBytes: 65536,
      warningBytes: '100M',
      maxRetryAfter: '20s',
      initialHoldTime: '750ms',
      adaptive: { enabled: true, metric: 'simulator_inflight_response_bytes', ceiling: '1Gi', minimum: '128Mi', interval: '2s', recoveryFraction: 0.25, collect: false, collectInterval: '45s' },
      levels: [
        { name: 'exempt', exempt: true },
        { name: 'team', share: 0.5, limit: 0.8, queue: { length: 10, lengthPerFlow: 2, maxWait: '1m' } },
      ],
      flowSchemas: [{ name: 'all', level: 'team', rules: { namespaces: ['team-*'] }, flowKey: 'namespace' }],
    });
    assert.equal(a.budgetBytes, 1.5 * 1024 ** 3);
    assert.equal(a.smallRequestBytes, 65536);
    assert.equal(a.warningBytes, 100e6);
    assert.equal(a.maxRetryAfterSeconds, 20);
    assert.equal(a.initialHoldTimeMs, 750);
    assert.deepEqual(a.adaptive, { enabled: true, metric: 'simulator_inflight_response_bytes', ceilingBytes: 1024 ** 3, minimumBytes: 128 * 1024 ** 2, intervalMs: 2000, recoveryFraction: 0.25, collect: false, collectIntervalMs: 45_000 });
    assert.deepEqual(a.levels[1], { name: 'team', exempt: false, share: 0.5, limit: 0.8, queue: { length: 10, lengthPerFlow: 2, maxWaitMs: 60_000 } });
    assert.deepEqual(a.levels[0]?.queue, { length: 64, lengthPerFlow: 16, maxWaitMs: 10_000 });
    assert.deepEqual(a.flowSchemas[0], {
      name: 'all',
      level: 'team',
      subjects: { users: [], groups: [], serviceAccounts: [] },
      rules: { verbs: [], resources: [], namespaces: ['team-*'] },
      flowKey: 'namespace',
    });
  });

  it('reports every mistake with its key path', () => {
    const issues = issuesOf({
      budget: 'lots',
      maxRetryAfter: '1500ms',
      streamingLists: 'maybe',
      levels: [{ name: 'a', share: 1.5 }, { name: 'B' }],
      flowSchemas: [{ name: 'x', level: 'a', flowKey: 'tenant', extra: 1 }],
    });
    assert.deepEqual(issues, [
      { path: 'admission.budget', message: 'must be a byte quantity such as 6Gi, 500Mi or 1048576' },
      { path: 'admission.streamingLists', message: 'must be one of: auto, enabled, disabled' },
      { path: 'admission.levels[0].share', message: 'must be at most 1' },
      { path: 'admission.levels[1].name', message: 'must be a lower-case name (letters, digits, - and .)' },
      { path: 'admission.flowSchemas[0].flowKey', message: 'must be one of: user, namespace' },
      { path: 'admission.flowSchemas[0].extra', message: 'unknown key' },
    ]);
  });

  it('checks the rules across keys: names, shares, limits, levels named by schemas, the last level, Retry-After, the adaptive minimum', () => {
    const issues = issuesOf({
      budget: '1Gi',
      maxRetryAfter: '1500ms',
      adaptive: { enabled: true, minimum: '2Gi' },
      levels: [
        { name: 'a', share: 0.7, limit: 0.5 },
        { name: 'a', share: 0.6 },
        { name: 'z', exempt: true },
      ],
      flowSchemas: [
        { name: 'x', level: 'a' },
        { name: 'x', level: 'nope' },
      ],
    });
    assert.deepEqual(issues, [
      { path: 'admission.levels[1].name', message: 'duplicate priority level name a' },
      { path: 'admission.flowSchemas[1].name', message: 'duplicate flow schema name x' },
      { path: 'admission.levels', message: 'the shares of the non-exempt levels add up to 1.3; they must not exceed 1' },
      { path: 'admission.levels[0].limit', message: "must be at least the level's share (0.7)" },
      { path: 'admission.levels[2].exempt', message: 'the last level takes every request no flow schema matches; it must not be exempt' },
      { path: 'admission.flowSchemas[1].level', message: 'no priority level named nope (levels: a, z)' },
      { path: 'admission.maxRetryAfter', message: 'must be whole seconds from 1s to 10m (clients read Retry-After as an integer)' },
      { path: 'admission.adaptive.minimum', message: 'must not be above admission.budget' },
    ]);
  });
});
