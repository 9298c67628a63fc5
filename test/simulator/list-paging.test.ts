/**
 * LIST pagination as upstream: limit/continue pages read one consistent snapshot, continue tokens are the
 * apiserver's shape, remainingItemCount only without selectors, and a compacted continue token is 410
 * with an inconsistent-continue token that still finishes the list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

interface List {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string; namespace?: string; resourceVersion: string }; kind?: string }[];
}

const names = (l: List): string[] => l.items.map((i) => i.metadata.name);

async function list(t: TestSimulator, path: string): Promise<List> {
  const r = await fetchSim(t, path);
  assert.equal(r.status, 200, r.text);
  return r.json as List;
}

async function createSecret(t: TestSimulator, ns: string, name: string): Promise<void> {
  const r = await fetchSim(t, `/api/v1/namespaces/${ns}/secrets`, { method: 'POST', body: { metadata: { name }, stringData: { k: 'v' } } });
  assert.equal(r.status, 201, r.text);
}

describe('LIST pagination', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 1, secrets: 10, secretSize: 16, configmaps: 0, pods: 0, deployments: 0 } });
  });
  after(() => t.close());

  it('pages through a collection in key order with the apiserver continue token', async () => {
    const first = await list(t, '/api/v1/namespaces/default/secrets?limit=2');
    assert.equal(first.kind, 'SecretList');
    assert.equal(first.apiVersion, 'v1');
    assert.deepEqual(names(first), ['secret-0', 'secret-2']);
    assert.equal(first.items[0]!.kind, undefined, 'typed list items carry no kind');
    assert.equal(first.metadata.remainingItemCount, 3);
    const token = JSON.parse(Buffer.from(first.metadata.continue!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(token, { v: 'meta.k8s.io/v1', rv: Number(first.metadata.resourceVersion), start: 'secret-2\u0000' });
    assert.ok(!first.metadata.continue!.includes('='), 'unpadded base64url');

    const all: string[] = [...names(first)];
    let cont = first.metadata.continue;
    while (cont) {
      const page = await list(t, `/api/v1/namespaces/default/secrets?limit=2&continue=${cont}`);
      assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion, 'every page reports the snapshot revision');
      all.push(...names(page));
      cont = page.metadata.continue;
      if (!cont) assert.equal(page.metadata.remainingItemCount, undefined);
    }
    assert.deepEqual(all, ['secret-0', 'secret-2', 'secret-4', 'secret-6', 'secret-8']);
  });

  it('keeps the snapshot: creates and deletes between pages do not change later pages', async () => {
    const first = await list(t, '/api/v1/secrets?limit=3');
    assert.deepEqual(names(first), ['secret-0', 'secret-2', 'secret-4']);
    await createSecret(t, 'default', 'secret-5a');
    assert.equal((await fetchSim(t, '/api/v1/namespaces/ns-0/secrets/secret-9', { method: 'DELETE' })).status, 200);
    const rest: string[] = [];
    let cont = first.metadata.continue;
    while (cont) {
      const page = await list(t, `/api/v1/secrets?limit=3&continue=${cont}`);
      rest.push(...page.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`));
      cont = page.metadata.continue;
    }
    assert.deepEqual(rest, ['default/secret-6', 'default/secret-8', 'ns-0/secret-1', 'ns-0/secret-3', 'ns-0/secret-5', 'ns-0/secret-7', 'ns-0/secret-9']);
    const now = await list(t, '/api/v1/secrets');
    assert.ok(names(now).includes('secret-5a') && !names(now).includes('secret-9'), 'a fresh list sees the changes');
  });

  it('omits remainingItemCount when a label or field selector is set, but still pages', async () => {
    const labelled = await list(t, '/api/v1/secrets?limit=1&labelSelector=app%3Dapp-0');
    assert.equal(labelled.items.length, 1);
    assert.ok(labelled.metadata.continue);
    assert.equal(labelled.metadata.remainingItemCount, undefined);
    const fielded = await list(t, '/api/v1/secrets?limit=1&fieldSelector=metadata.namespace%3Ddefault');
    assert.ok(fielded.metadata.continue);
    assert.equal(fielded.metadata.remainingItemCount, undefined);
    const plain = await list(t, '/api/v1/secrets?limit=1');
    assert.equal(typeof plain.metadata.remainingItemCount, 'number');
  });

  it('answers a compacted continue token with 410 and an inconsistent token that finishes the list', async () => {
    const first = await list(t, '/api/v1/namespaces/default/secrets?limit=2');
    await createSecret(t, 'default', 'secret-z');
    t.sim.compact();
    const stale = await fetchSim(t, `/api/v1/namespaces/default/secrets?limit=2&continue=${first.metadata.continue}`);
    assert.equal(stale.status, 410);
    const status = stale.json as { reason: string; code: number; message: string; metadata: { continue?: string } };
    assert.equal(status.reason, 'Expired');
    assert.equal(status.code, 410);
    assert.match(status.message, /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results\. Continuing with the provided token results in an inconsistent list/);
    const inconsistent = JSON.parse(Buffer.from(status.metadata.continue!, 'base64url').toString()) as { rv: number; start: string };
    assert.equal(inconsistent.rv, -1);
    assert.equal(inconsistent.start, 'secret-2\u0000');
    const rest = await list(t, `/api/v1/namespaces/default/secrets?continue=${status.metadata.continue}`);
    assert.ok(names(rest).includes('secret-z'), 'the inconsistent remainder sees writes made after the first page');
    assert.ok(!names(rest).includes('secret-2'));
  });

  it('rejects bad continue tokens and a resourceVersion alongside continue with 400', async () => {
    const garbage = await fetchSim(t, '/api/v1/secrets?limit=1&continue=not-a-token');
    assert.equal(garbage.status, 400);
    assert.match((garbage.json as { message: string }).message, /^invalid continue token: continue key is not valid/);
    const first = await list(t, '/api/v1/secrets?limit=1');
    const withRv = await fetchSim(t, `/api/v1/secrets?limit=1&continue=${first.metadata.continue}&resourceVersion=5`);
    assert.equal(withRv.status, 400);
    assert.equal((withRv.json as { message: string }).message, 'specifying resource version is not allowed when using continue');
    const withRv0 = await fetchSim(t, `/api/v1/secrets?limit=1&continue=${first.metadata.continue}&resourceVersion=0`);
    assert.equal(withRv0.status, 200, 'resourceVersion=0 is tolerated with continue');
  });
});
