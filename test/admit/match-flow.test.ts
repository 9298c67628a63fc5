import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FLOW_SCHEMAS, DEFAULT_LEVELS, levelCeilingFraction, poolFraction, type FlowSchemaSettings } from '../../src/admit/admission-settings.js';
import { matchFlow, matchesPattern } from '../../src/admit/match-flow.js';

const defaults = { levels: DEFAULT_LEVELS, flowSchemas: DEFAULT_FLOW_SCHEMAS };
const list = (resource: string, namespace = '') => ({ verb: 'list', apiGroup: '', resource, namespace });

describe('matchFlow with the default flow schemas', () => {
  const cases: Array<[string, string, string[], string, string]> = [
    ['system:masters bypass', 'admin', ['system:masters', 'system:authenticated'], 'exempt', 'exempt'],
    ['a node', 'system:node:worker-1', ['system:nodes', 'system:authenticated'], 'system-nodes', 'system'],
    ['a kube-system service account', 'system:serviceaccount:kube-system:coredns', ['system:serviceaccounts', 'system:serviceaccounts:kube-system'], 'system-components', 'system'],
    ['the controller manager', 'system:kube-controller-manager', ['system:authenticated'], 'system-components', 'system'],
    ['a workload service account', 'system:serviceaccount:team-a:operator', ['system:serviceaccounts', 'system:serviceaccounts:team-a'], 'service-accounts', 'workload'],
    ['a person', 'jane', ['developers', 'system:authenticated'], 'catch-all', 'catch-all'],
  ];
  for (const [name, username, groups, schema, level] of cases) {
    it(`${name} → ${schema} / ${level}`, () => {
      const m = matchFlow({ username, groups }, list('secrets'), defaults);
      assert.equal(m.flowSchema, schema);
      assert.equal(m.level.name, level);
      assert.equal(m.flow, `user:${username}`);
    });
  }

  it('guarantees 60% of the budget to levels and leaves a 40% pool; catch-all can reach 50%', () => {
    assert.ok(Math.abs(poolFraction(DEFAULT_LEVELS) - 0.4) < 1e-9);
    const catchAll = DEFAULT_LEVELS.find((l) => l.name === 'catch-all')!;
    assert.ok(Math.abs(levelCeilingFraction(catchAll, DEFAULT_LEVELS) - 0.5) < 1e-9);
  });
});

describe('matchFlow rules', () => {
  const schema = (over: Partial<FlowSchemaSettings>): FlowSchemaSettings => ({
    name: 'team',
    level: 'workload',
    subjects: { users: [], groups: ['team-a'], serviceAccounts: [] },
    rules: { verbs: ['list', 'watch'], resources: ['secrets', 'deployments.apps'], namespaces: ['team-*'] },
    flowKey: 'namespace',
    ...over,
  });
  const config = { levels: DEFAULT_LEVELS, flowSchemas: [schema({}), ...DEFAULT_FLOW_SCHEMAS] };
  const who = { username: 'bob', groups: ['team-a'] };

  it('matches subjects, verbs, resource.group and namespace prefixes, and keys the flow by namespace', () => {
    const m = matchFlow(who, { verb: 'list', apiGroup: 'apps', resource: 'deployments', namespace: 'team-x' }, config);
    assert.equal(m.flowSchema, 'team');
    assert.equal(m.flow, 'namespace:team-x');
  });

  const misses: Array<[string, { verb: string; apiGroup: string; resource: string; namespace: string }]> = [
    ['another verb', { verb: 'create', apiGroup: '', resource: 'secrets', namespace: 'team-x' }],
    ['a resource of another group', { verb: 'list', apiGroup: 'extensions', resource: 'deployments', namespace: 'team-x' }],
    ['another namespace', { verb: 'list', apiGroup: '', resource: 'secrets', namespace: 'prod' }],
    ['a cluster-wide request when namespaces are listed', { verb: 'list', apiGroup: '', resource: 'secrets', namespace: '' }],
  ];
  for (const [name, target] of misses) {
    it(`does not match ${name}`, () => assert.equal(matchFlow(who, target, config).flowSchema, 'catch-all'));
  }

  it('a request no schema matches goes to the last level', () => {
    const m = matchFlow({ username: 'x', groups: [] }, list('pods'), { levels: DEFAULT_LEVELS, flowSchemas: [schema({})] });
    assert.equal(m.flowSchema, undefined);
    assert.equal(m.level.name, 'catch-all');
  });

  it('skips a schema whose level does not exist', () => {
    const m = matchFlow(who, list('secrets', 'team-x'), { levels: DEFAULT_LEVELS, flowSchemas: [schema({ level: 'gone' }), ...DEFAULT_FLOW_SCHEMAS] });
    assert.equal(m.flowSchema, 'catch-all');
  });

  it('patterns: *, prefix*, exact', () => {
    assert.equal(matchesPattern('*', 'anything'), true);
    assert.equal(matchesPattern('system:node:*', 'system:node:a'), true);
    assert.equal(matchesPattern('system:node:*', 'system:nodes'), false);
    assert.equal(matchesPattern('jane', 'janet'), false);
  });
});
