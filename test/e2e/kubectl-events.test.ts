/**
 * Events through the gateway: the seeded start events of every pod (Scheduled, Pulled, Created, Started)
 * in `kubectl get events` (the server's Table), `kubectl events`, `kubectl describe pod` (which selects
 * them by involvedObject fields), and events.k8s.io/v1, listed in discovery as on a real 1.32 apiserver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

const REASONS = ['Scheduled', 'Pulled', 'Created', 'Started'];

describe('events through the gateway', () => {
  let stack: E2EStack;
  before(async () => (stack = await startE2EStack()));
  after(async () => stack?.close());

  it('kubectl get events prints the server-side Table of core v1 events', async () => {
    const r = await stack.kubectl(['get', 'events', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(r.stdout, /^\S+\s+Normal\s+Scheduled\s+pod\/pod-0\s+Successfully assigned default\/pod-0 to node-0$/m);
    assert.match(r.stdout, /^\S+\s+Normal\s+Pulled\s+pod\/pod-0\s+Container image "registry\.k8s\.io\/pause:3\.10" already present on machine$/m);
    const wide = await stack.kubectl(['get', 'events', '-n', 'default', '-o', 'wide', '--field-selector', 'reason=Started']);
    assert.match(wide.stdout, /^\S+\s+Normal\s+Started\s+pod\/pod-0\s+spec\.containers\{main\}\s+kubelet, node-0\s+Started container main\s+\S+\s+1\s+pod-0\.[0-9a-f]+$/m);
    assert.equal(wide.stdout.trim().split('\n').length, 2, 'the field selector keeps only the Started event');
  });

  it('kubectl events lists them oldest first', async () => {
    const r = await stack.kubectl(['events', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
    const reasons = r.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[2]);
    assert.deepEqual(reasons, REASONS);
  });

  it('kubectl describe pod shows the pod\'s events', async () => {
    const r = await stack.kubectl(['describe', 'pod', 'pod-1', '-n', 'ns-0']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.slice(r.stdout.indexOf('\nEvents:'));
    assert.match(events, /^\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
    assert.match(events, /^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned ns-0\/pod-1 to node-1$/m);
    assert.match(events, /^\s+Normal\s+Started\s+\S+\s+kubelet\s+Started container main$/m);
  });

  it('serves events.k8s.io/v1 events too, in their own shape', async () => {
    const r = await stack.kubectl(['get', '--raw', '/apis/events.k8s.io/v1/namespaces/default/events']);
    const list = JSON.parse(r.stdout) as { kind: string; items: { regarding: { name: string }; note: string; reason: string; reportingController: string }[] };
    assert.equal(list.kind, 'EventList');
    assert.deepEqual(list.items.map((e) => e.reason), REASONS);
    assert.deepEqual([list.items[0]!.regarding.name, list.items[0]!.reportingController], ['pod-0', 'default-scheduler']);
    const groups = await stack.kubectl(['api-resources', '--api-group=events.k8s.io', '--no-headers']);
    assert.match(groups.stdout, /^events\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event$/m);
  });
});
