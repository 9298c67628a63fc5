/**
 * toTable and formatHumanDuration as pure functions: the Table envelope (listMeta, includeObject, noHeaders),
 * each printer's column definitions and typed cells, and duration.HumanDuration's formatting table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/simulator/kube-object.js';
import { findResource, type ResourceDef } from '../../src/simulator/resources.js';
import { formatHumanDuration } from '../../src/simulator/table-columns.js';
import { toTable, type Table } from '../../src/simulator/table.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const def = (resource: string, group = ''): ResourceDef => findResource(group, 'v1', resource)!;
const obj = (kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '12', creationTimestamp: '2025-03-01T11:59:55Z', labels: { app: 'x' } },
  ...extra,
});

describe('formatHumanDuration (duration.HumanDuration)', () => {
  const cases: [number, string][] = [
    [-5_000, '<invalid>'], [-1_500, '0s'], [0, '0s'], [5_000, '5s'], [119_000, '119s'], [120_000, '2m'],
    [185_000, '3m5s'], [10 * 60_000, '10m'], [179 * 60_000, '179m'], [3 * 3600_000 + 15 * 60_000, '3h15m'],
    [5 * 3600_000, '5h'], [8 * 3600_000 + 59 * 60_000, '8h'], [47 * 3600_000, '47h'], [2 * 86400_000, '2d'],
    [3 * 86400_000 + 4 * 3600_000, '3d4h'], [8 * 86400_000 + 5 * 3600_000, '8d'], [400 * 86400_000, '400d'],
    [3 * 365 * 86400_000, '3y'], [3 * 365 * 86400_000 + 10 * 86400_000, '3y10d'], [9 * 365 * 86400_000 + 99 * 86400_000, '9y'],
  ];
  for (const [ms, expected] of cases) it(`${ms} ms → ${expected}`, () => assert.equal(formatHumanDuration(ms), expected));
});

describe('toTable', () => {
  it('builds the meta.k8s.io/v1 Table with listMeta and PartialObjectMetadata rows by default', () => {
    const table = toTable(def('secrets'), [obj('Secret', 's1', { type: 'Opaque', data: { a: 'YQ==' } })], {
      listMeta: { resourceVersion: '99', continue: 'tok', remainingItemCount: 3 },
      now: NOW,
    }) as Table;
    assert.equal(table.kind, 'Table');
    assert.equal(table.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(table.metadata, { resourceVersion: '99', continue: 'tok', remainingItemCount: 3 });
    assert.deepEqual(table.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]), [
      ['Name', 'string', 'name', 0], ['Type', 'string', '', 0], ['Data', 'string', '', 0], ['Age', 'string', '', 0],
    ]);
    assert.deepEqual(table.rows[0]!.cells, ['s1', 'Opaque', 1, '5s']);
    assert.deepEqual(table.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: table.rows[0]!.object!.metadata });
    assert.equal(table.rows[0]!.object!.metadata.name, 's1');
  });

  it('honours includeObject None/Object, noHeaders, and takes a single object resourceVersion without listMeta', () => {
    const ns = obj('Namespace', 'team-a', { status: { phase: 'Terminating' } });
    const none = toTable(def('namespaces'), [ns], { includeObject: 'None', noHeaders: true, now: NOW }) as Table;
    assert.equal(none.columnDefinitions, null);
    assert.equal(none.rows[0]!.object, null);
    assert.deepEqual(none.metadata, { resourceVersion: '12' });
    assert.deepEqual(none.rows[0]!.cells, ['team-a', 'Terminating', '5s']);
    const full = toTable(def('namespaces'), [ns], { includeObject: 'Object', listMeta: {}, now: NOW }) as Table;
    assert.equal(full.rows[0]!.object, ns);
    assert.deepEqual(full.metadata, {});
    assert.deepEqual(JSON.parse(JSON.stringify(toTable(def('namespaces'), [], { listMeta: { resourceVersion: '5' }, now: NOW }))).rows, []);
  });

  it('prints pods like printPod, wide cells included', () => {
    const pod = obj('Pod', 'web-0', {
      spec: { nodeName: 'node-1', containers: [{ name: 'main' }, { name: 'side' }], readinessGates: [{ conditionType: 'example.com/ready' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.0.0.7' }],
        conditions: [{ type: 'example.com/ready', status: 'True' }],
        containerStatuses: [
          { name: 'main', ready: true, restartCount: 1, state: { running: {} } },
          { name: 'side', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } },
        ],
      },
    });
    const table = toTable(def('pods'), [pod], { now: NOW }) as Table;
    assert.deepEqual(table.columnDefinitions?.filter((c) => c.priority === 1).map((c) => c.name), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    assert.deepEqual(table.rows[0]!.cells, ['web-0', '1/2', 'ExitCode:2', '1', '5s', '10.0.0.7', 'node-1', '<none>', '1/1']);
    const deleting = toTable(def('pods'), [{ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2025-03-01T12:00:00Z' } }], { now: NOW }) as Table;
    assert.equal(deleting.rows[0]!.cells[2], 'Terminating');
  });

  it('prints deployments and configmaps with the printers cell types', () => {
    const deploy = obj('Deployment', 'web', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, template: { spec: { containers: [{ name: 'main', image: 'nginx' }, { name: 'log', image: 'fluent' }] } } },
      status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
    });
    const table = toTable(def('deployments', 'apps'), [deploy], { now: NOW }) as Table;
    assert.deepEqual(table.columnDefinitions?.map((c) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    assert.deepEqual(table.rows[0]!.cells, ['web', '1/3', 2, 1, '5s', 'main,log', 'nginx,fluent', 'app=web,tier in (a,b)']);
    const cm = toTable(def('configmaps'), [obj('ConfigMap', 'c', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })], { now: NOW }) as Table;
    assert.deepEqual(cm.rows[0]!.cells, ['c', 3, '5s']);
  });
});
