/**
 * An @kubernetes/client-node informer (list, then watch from the list's resourceVersion) through the
 * gateway: it syncs the collection and then sees adds, updates and deletes made by another client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

function eventually<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      const value = read();
      if (value !== undefined) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('client-node informer through the gateway', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack();
  });
  after(async () => stack?.close());

  it('syncs, then receives add, update and delete events', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(stack.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const expected = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.length;

    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const events: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      assert.equal(informer.list('default').length, expected, 'the cache holds the whole collection after start');

      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'informed' }, data: { v: '1' } } });
      await eventually(() => events.find((e) => e === 'add informed'), 'add event');
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'informed', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await eventually(() => events.find((e) => e === 'update informed 2'), 'update event');
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'informed' });
      await eventually(() => events.find((e) => e === 'delete informed'), 'delete event');
      assert.equal(informer.get('informed', 'default'), undefined);
      assert.equal(informer.list('default').length, expected);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});
