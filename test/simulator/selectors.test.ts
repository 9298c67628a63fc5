/**
 * Label and field selectors on LIST: the label grammar of k8s.io/apimachinery/pkg/labels (=, ==, !=, in,
 * notin, exists, !key), the fields each resource exposes, and 400 for what the apiserver refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

describe('selectors', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 1, secrets: 0, configmaps: 0, pods: 3, deployments: 0 } });
    const secrets: [string, Record<string, string>, string][] = [
      ['a', { app: 'web', tier: 'front' }, 'Opaque'],
      ['b', { app: 'web', tier: 'back' }, 'kubernetes.io/tls'],
      ['c', { app: 'db' }, 'Opaque'],
      ['d', {}, 'example.com/custom'],
    ];
    for (const [name, labels, type] of secrets) {
      const r = await fetchSim(t, '/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name, labels }, type } });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(() => t.close());

  const select = async (query: string, resource = 'secrets'): Promise<string[]> => {
    const r = await fetchSim(t, `/api/v1/${resource}?${query}`);
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return (r.json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name).sort();
  };
  const label = (selector: string): Promise<string[]> => select(`labelSelector=${encodeURIComponent(selector)}`);
  const field = (selector: string, resource?: string): Promise<string[]> => select(`fieldSelector=${encodeURIComponent(selector)}`, resource);

  it('matches label selector operators like the apiserver', async () => {
    assert.deepEqual(await label('app=web'), ['a', 'b']);
    assert.deepEqual(await label('app==web'), ['a', 'b']);
    assert.deepEqual(await label('app!=web'), ['c', 'd'], '!= matches objects without the label');
    assert.deepEqual(await label('tier in (front, back)'), ['a', 'b']);
    assert.deepEqual(await label('app notin (web)'), ['c', 'd'], 'notin matches objects without the label');
    assert.deepEqual(await label('tier'), ['a', 'b']);
    assert.deepEqual(await label('!tier'), ['c', 'd']);
    assert.deepEqual(await label('app=web,tier=back'), ['b']);
    assert.deepEqual(await label('app in (web,db),!tier'), ['c']);
  });

  it('matches field selectors on the fields each resource exposes', async () => {
    assert.deepEqual(await field('metadata.name=c'), ['c']);
    assert.deepEqual(await field('metadata.name!=c,metadata.namespace=default'), ['a', 'b', 'd']);
    assert.deepEqual(await field('type=kubernetes.io/tls'), ['b']);
    assert.deepEqual(await field('type!=Opaque'), ['b', 'd']);
    assert.deepEqual(await field('status.phase=Running', 'pods'), ['pod-0', 'pod-1', 'pod-2']);
    assert.deepEqual(await field('spec.nodeName=node-1', 'pods'), ['pod-1']);
    assert.deepEqual(await field('status.phase=Active', 'namespaces'), ['default', 'kube-system', 'ns-0']);
  });

  it('answers 400 for unsupported fields and unparsable selectors', async () => {
    const unsupported = await fetchSim(t, `/api/v1/secrets?fieldSelector=${encodeURIComponent('spec.nodeName=x')}`);
    assert.equal(unsupported.status, 400);
    assert.equal((unsupported.json as { message: string }).message, 'field label not supported: spec.nodeName');
    const badField = await fetchSim(t, '/api/v1/secrets?fieldSelector=nonsense');
    assert.equal(badField.status, 400);
    assert.equal((badField.json as { message: string }).message, "invalid selector: 'nonsense'; can't understand 'nonsense'");
    const badLabel = await fetchSim(t, `/api/v1/secrets?labelSelector=${encodeURIComponent('app in web')}`);
    assert.equal(badLabel.status, 400);
    assert.match((badLabel.json as { message: string }).message, /^unable to parse requirement/);
  });

  it('treats a metadata.name field selector list as a list, not a get', async () => {
    const r = await fetchSim(t, '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Da');
    assert.equal((r.json as { kind: string }).kind, 'SecretList');
    assert.deepEqual((r.json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name), ['a']);
  });
});
