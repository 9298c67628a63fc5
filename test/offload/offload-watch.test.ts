/**
 * List-via-watch offload on the simulator: where the upstream serves streaming lists, an unpaginated
 * JSON LIST that does not fit is served from one streaming list upstream (the apiserver pays for about
 * one object, less than any page) — the direct list's items in order, without the kind and apiVersion a
 * watch event's object carries, the end bookmark's resourceVersion as the list's. A Table is still served
 * in pages (a streaming list serves objects). (A streaming list that fails gives way to pages:
 * offload-failures.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { metric, rawGet, userAgent } from '../admit/support/admission-stack.js';
import { estimateOf, offloads, reloadAdmission, type KubeList } from './support/offload-stack.js';

// Objects large enough that a page of the squeezed budget costs the apiserver more than a streaming list
// (which holds about one object beyond its buffers): the case a streaming list is chosen for.
const SEED = { secrets: 20, secretSize: 48 * 1024, namespaces: 2, configmaps: 0, pods: 0 };

const PATHS = ['/api/v1/secrets', '/api/v1/secrets?resourceVersion=0&limit=500'];

/** A budget neither LIST of PATHS can ever fit. */
async function squeeze(stack: E2EStack, streamingLists: 'auto'): Promise<void> {
  const smallest = Math.min(...(await Promise.all(PATHS.map(async (p) => (await estimateOf(stack, p)).estimatedBytes))));
  await reloadAdmission(stack, Math.floor(0.6 * smallest), { streamingLists });
}

const direct = async (stack: E2EStack, path: string): Promise<KubeList> => JSON.parse((await rawGet(`${stack.gatewayUrl}${path}`, userAgent(stack, 'admin'))).body) as KubeList;

describe('offload as a streaming list, on a simulator that serves them', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack({ seed: SEED, version: '1.34', watchList: true });
    await squeeze(stack, 'auto');
  });
  after(async () => {
    await stack.close();
  });

  it('a JSON LIST: one streaming list upstream, the direct list item for item', async () => {
    // The first LIST admission weighs asks the upstream whether it serves streaming lists (streamingLists: auto).
    for (const path of PATHS) {
      const r = await rawGet(`${stack.gatewayUrl}${path}`, userAgent(stack));
      assert.equal(r.status, 200, r.body);
      const got = JSON.parse(r.body) as KubeList & Record<string, unknown>;
      const expected = await direct(stack, path);
      assert.equal(got.kind, 'SecretList');
      assert.equal(got.apiVersion, 'v1');
      assert.deepEqual(got.metadata, { resourceVersion: expected.metadata.resourceVersion });
      assert.ok(expected.items!.length > 0);
      assert.deepEqual(got.items, expected.items, path);
    }
    assert.equal(await offloads(stack, { mode: 'watch', result: 'complete' }), 2);
    const dry = await estimateOf(stack, '/api/v1/secrets');
    assert.equal(dry.decision, 'offload');
    assert.match(dry.decisionReasons.at(-1)!, /would be offloaded, served as a streaming list/);
    const watches = stack.sim.stats.requests().filter((r) => r.path.includes('sendInitialEvents=true') && r.user === 'jane');
    assert.equal(watches.length, 2);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_leases'), 0);
  });

  it('a Table is served in pages', async () => {
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack), { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as KubeList).rows!.length, 20);
    assert.equal(await offloads(stack, { mode: 'pages', result: 'complete' }), 1);
  });
});
