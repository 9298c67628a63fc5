/**
 * Object CRUD with the apiserver's codes and Status bodies: 201 create with server-set metadata,
 * generateName, AlreadyExists, missing namespace, invalid names, optimistic concurrency (409 with the
 * exact message), merge / strategic / JSON patches, delete (object or Success Status, as upstream),
 * deletecollection, namespace deletion, dryRun, and protobuf bodies as kubectl sends them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

interface Obj {
  kind: string;
  metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string; generation?: number; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  [key: string]: unknown;
}
interface StatusBody {
  kind: string;
  status: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: Record<string, unknown>;
}

const CM = '/api/v1/namespaces/default/configmaps';

describe('CRUD', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 1, secrets: 2, secretSize: 8, configmaps: 0, pods: 1, deployments: 1 } });
  });
  after(() => t.close());

  it('creates with 201 and the metadata the apiserver sets', async () => {
    const r = await fetchSim(t, CM, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', resourceVersion: '999' }, data: { a: '1' } } });
    assert.equal(r.status, 201);
    const o = r.json as Obj;
    assert.equal(o.kind, 'ConfigMap');
    assert.match(o.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(o.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.notEqual(o.metadata.resourceVersion, '999');
    assert.equal(o.metadata.namespace, 'default');
    assert.equal(o.metadata.generation, undefined);

    const gen = await fetchSim(t, CM, { method: 'POST', body: { metadata: { generateName: 'gen-' } } });
    assert.match((gen.json as Obj).metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);

    const dup = await fetchSim(t, CM, { method: 'POST', body: { metadata: { name: 'c1' } } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "c1" already exists',
      reason: 'AlreadyExists', details: { name: 'c1', kind: 'configmaps' }, code: 409,
    });
  });

  it('refuses creates into a missing namespace (404) and invalid names (422)', async () => {
    const missing = await fetchSim(t, '/api/v1/namespaces/nope/secrets', { method: 'POST', body: { metadata: { name: 'x' } } });
    assert.equal(missing.status, 404);
    assert.equal((missing.json as StatusBody).message, 'namespaces "nope" not found');
    const bad = await fetchSim(t, CM, { method: 'POST', body: { metadata: { name: 'Bad_Name' } } });
    assert.equal(bad.status, 422);
    assert.match((bad.json as StatusBody).message!, /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const none = await fetchSim(t, CM, { method: 'POST', body: { metadata: {} } });
    assert.equal((none.json as StatusBody).message, 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  });

  it('updates with optimistic concurrency: 409 with the apiserver message on a stale resourceVersion', async () => {
    const cur = (await fetchSim(t, `${CM}/c1`)).json as Obj;
    const ok = await fetchSim(t, `${CM}/c1`, { method: 'PUT', body: { ...cur, data: { a: '2' } } });
    assert.equal(ok.status, 200);
    const updated = ok.json as Obj;
    assert.ok(Number(updated.metadata.resourceVersion) > Number(cur.metadata.resourceVersion));
    assert.equal(updated.metadata.uid, cur.metadata.uid);
    const stale = await fetchSim(t, `${CM}/c1`, { method: 'PUT', body: { ...cur, data: { a: '3' } } });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict', details: { name: 'c1', kind: 'configmaps' }, code: 409,
    });
    const noop = await fetchSim(t, `${CM}/c1`, { method: 'PUT', body: updated });
    assert.equal((noop.json as Obj).metadata.resourceVersion, updated.metadata.resourceVersion, 'a no-op update writes nothing');
    const missing = await fetchSim(t, `${CM}/ghost`, { method: 'PUT', body: { metadata: { name: 'ghost' } } });
    assert.equal(missing.status, 404);
  });

  it('patches with merge, strategic-merge and JSON patch', async () => {
    const merge = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { data: { b: 'x', a: null } } });
    assert.deepEqual((merge.json as Obj).data, { b: 'x' });
    const smp = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'application/strategic-merge-patch+json' }, body: { metadata: { labels: { l: '1' } } } });
    assert.deepEqual((smp.json as Obj).metadata.labels, { l: '1' });
    const json = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'add', path: '/data/c', value: 'y' }, { op: 'remove', path: '/data/b' }] });
    assert.deepEqual((json.json as Obj).data, { c: 'y' });
    const failed = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'test', path: '/data/c', value: 'nope' }] });
    assert.equal(failed.status, 422);
    const stale = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { metadata: { resourceVersion: '1' }, data: { d: 'z' } } });
    assert.equal(stale.status, 409);
    const unknownType = await fetchSim(t, `${CM}/c1`, { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    assert.equal(unknownType.status, 415);
  });

  it('bumps generation on spec changes of a deployment, not on metadata changes', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/deploy-0';
    const before = (await fetchSim(t, path)).json as Obj;
    assert.equal(before.metadata.generation, 1);
    const labelled = await fetchSim(t, path, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { metadata: { labels: { x: 'y' } } } });
    assert.equal((labelled.json as Obj).metadata.generation, 1);
    const scaled = await fetchSim(t, path, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { spec: { replicas: 4 } } });
    const s = scaled.json as Obj & { status: { observedGeneration: number; readyReplicas: number } };
    assert.equal(s.metadata.generation, 2);
    assert.deepEqual([s.status.observedGeneration, s.status.readyReplicas], [2, 4]);
  });

  it('deletes: Success Status for secrets, the object for pods, 404 afterwards, preconditions', async () => {
    const secret = (await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0')).json as Obj;
    const pre = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0', { method: 'DELETE', body: { preconditions: { uid: 'other' } } });
    assert.equal(pre.status, 409);
    assert.equal((pre.json as StatusBody).message, `Operation cannot be fulfilled on secrets "secret-0": Precondition failed: UID in precondition: other, UID in object meta: ${secret.metadata.uid}`);
    const del = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0', { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'secret-0', kind: 'secrets', uid: secret.metadata.uid } });
    assert.equal((await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0')).status, 404);
    const again = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-0', { method: 'DELETE' });
    assert.equal((again.json as StatusBody).message, 'secrets "secret-0" not found');
    const pod = await fetchSim(t, '/api/v1/namespaces/default/pods/pod-0', { method: 'DELETE' });
    assert.equal((pod.json as Obj).kind, 'Pod');
  });

  it('dryRun=All validates without storing', async () => {
    const r = await fetchSim(t, `${CM}?dryRun=All&fieldManager=test&fieldValidation=Strict`, { method: 'POST', body: { metadata: { name: 'dry' } } });
    assert.equal(r.status, 201);
    assert.equal((await fetchSim(t, `${CM}/dry`)).status, 404);
  });

  it('deletecollection answers the deleted objects and honours selectors', async () => {
    for (const name of ['k1', 'k2', 'k3']) {
      await fetchSim(t, CM, { method: 'POST', body: { metadata: { name, labels: { kill: name === 'k3' ? 'no' : 'yes' } } } });
    }
    const r = await fetchSim(t, `${CM}?labelSelector=kill%3Dyes`, { method: 'DELETE' });
    assert.equal(r.status, 200);
    const list = r.json as { kind: string; items: Obj[] };
    assert.equal(list.kind, 'ConfigMapList');
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['k1', 'k2']);
    assert.equal((await fetchSim(t, `${CM}/k3`)).status, 200);
  });

  it('deletes a namespace with its contents, answering the Terminating namespace', async () => {
    assert.equal((await fetchSim(t, '/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'doomed' } } })).status, 201);
    await fetchSim(t, '/api/v1/namespaces/doomed/secrets', { method: 'POST', body: { metadata: { name: 's' } } });
    const r = await fetchSim(t, '/api/v1/namespaces/doomed', { method: 'DELETE' });
    assert.equal(r.status, 200);
    const ns = r.json as Obj & { status: { phase: string }; metadata: { deletionTimestamp?: string } };
    assert.equal(ns.status.phase, 'Terminating');
    assert.ok(ns.metadata.deletionTimestamp);
    assert.equal((await fetchSim(t, '/api/v1/namespaces/doomed')).status, 404);
    assert.equal((await fetchSim(t, '/api/v1/namespaces/doomed/secrets/s')).status, 404);
  });

  it('reads the protobuf bodies kubectl sends for secrets', async () => {
    // `kubectl create secret generic s1 --from-literal=a=b --type=foo/bar`, as captured on the wire.
    const body = Buffer.from('6b3873000a0c0a0276311206536563726574122a0a170a0270621200' + '1a0764656661756c74220032003800420012060a0161120162' + '1a07666f6f2f6261721a002200', 'hex');
    const r = await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' }, body });
    assert.equal(r.status, 201, r.text);
    const s = r.json as Obj;
    assert.deepEqual([s.metadata.name, s.data, s['type']], ['pb', { a: 'Yg==' }, 'foo/bar']);
  });
});
