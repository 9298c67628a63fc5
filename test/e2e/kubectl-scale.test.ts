/**
 * `kubectl scale` through the gateway: the deployments/scale subresource (autoscaling/v1 Scale) that
 * kubectl PATCHes, the Deployment's spec.replicas and its (instantly reconciled) status, kubectl's own
 * --current-replicas precondition (a GET of the Scale), and the Invalid Status for a negative count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

describe('kubectl scale through the gateway', () => {
  let stack: E2EStack;
  before(async () => (stack = await startE2EStack()));
  after(async () => stack?.close());

  it('scales a deployment: spec.replicas, status and the Scale agree', async () => {
    const scaled = await stack.kubectl(['scale', 'deployment/deploy-0', '-n', 'default', '--replicas=5']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.equal(scaled.stdout.trim(), 'deployment.apps/deploy-0 scaled');
    const deploy = await stack.kubectl(['get', 'deployment', 'deploy-0', '-n', 'default', '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}']);
    assert.equal(deploy.stdout, '5 5');
    const raw = await stack.kubectl(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/deploy-0/scale']);
    const scale = JSON.parse(raw.stdout) as { kind: string; apiVersion: string; spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.deepEqual([scale.kind, scale.apiVersion, scale.spec, scale.status], ['Scale', 'autoscaling/v1', { replicas: 5 }, { replicas: 5, selector: 'app=deploy-0' }]);
  });

  it('honours --current-replicas, reading the Scale first', async () => {
    const wrong = await stack.kubectl(['scale', 'deployment/deploy-1', '-n', 'ns-0', '--current-replicas=7', '--replicas=3']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Expected replicas to be 7, was 2/);
    const right = await stack.kubectl(['scale', 'deployment/deploy-1', '-n', 'ns-0', '--current-replicas=2', '--replicas=0']);
    assert.equal(right.code, 0, right.stderr);
    const now = await stack.kubectl(['get', 'deployment', 'deploy-1', '-n', 'ns-0', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(now.stdout, '0');
  });

  it('answers a negative replica count with the Invalid Status', async () => {
    const r = await stack.kubectl(['patch', 'deployment', 'deploy-0', '-n', 'default', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":-1}}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Scale "deploy-0" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
  });

  it('lists deployments/scale in discovery, as autoscaling/v1 Scale', async () => {
    const r = await stack.kubectl(['get', '--raw', '/apis/apps/v1']);
    const list = JSON.parse(r.stdout) as { resources: { name: string; group?: string; version?: string; kind: string; verbs: string[] }[] };
    const scale = list.resources.find((x) => x.name === 'deployments/scale');
    assert.deepEqual(scale && [scale.group, scale.version, scale.kind, scale.verbs], ['autoscaling', 'v1', 'Scale', ['get', 'patch', 'update']]);
  });
});
