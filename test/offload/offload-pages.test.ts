/**
 * Offload on the simulator: an unpaginated LIST that its priority level can never hold is served by the
 * gateway as consecutive consistent pages stitched into one response — the same items in the same order
 * as the direct LIST, the first page's kind, apiVersion and resourceVersion, no continue, no
 * remainingItemCount — for JSON (plain, and resourceVersion=0 with a limit, as client-go's informers
 * ask), and for kubectl's Table (column definitions once, the rows of every page). What cannot be
 * offloaded still gets its 429, which says why: a client that takes only protobuf; pages of one object
 * that are more than the level can ever hold; offload turned off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { metric, rawGet, userAgent } from '../admit/support/admission-stack.js';
import { estimateOf, offloads, reloadAdmission, type KubeList } from './support/offload-stack.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('offload in pages, on the simulator', () => {
  let stack: E2EStack;
  /** A budget the whole LIST (as estimated now: offloaded lists teach its sizes) can never fit, and a page of a few objects does. */
  const squeeze = async (o: { offload?: 'auto' | 'off'; accept?: string } = {}) => {
    const whole = (await estimateOf(stack, '/api/v1/secrets', o.accept ? { accept: o.accept } : {})).estimatedBytes;
    await reloadAdmission(stack, Math.floor(0.6 * whole), { ...(o.offload ? { offload: o.offload } : {}) });
  };
  before(async () => {
    stack = await startE2EStack({ seed: { secrets: 24, secretSize: 32 * 1024, namespaces: 2, configmaps: 0, pods: 0 }, version: '1.34' });
    await squeeze();
  });
  after(async () => {
    await stack.close();
  });

  const direct = async (path: string, accept = 'application/json') => {
    const r = await rawGet(`${stack.gatewayUrl}${path}`, userAgent(stack, 'admin'), { headers: { Accept: accept } });
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as KubeList;
  };

  it('a JSON LIST is served in pages: the direct list, item for item', async () => {
    const report = await estimateOf(stack, '/api/v1/secrets');
    assert.equal(report.decision, 'offload', report.decisionReasons.join('\n'));
    assert.match(report.decisionReasons.at(-1)!, /would be offloaded, served in pages of \d+ objects/);
    const pagesBefore = await metric(stack.opsUrl, 'listgate_offload_pieces_total', { mode: 'pages' });
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['content-length'], undefined, 'streamed, not assembled');
    const offloaded = JSON.parse(r.body) as KubeList;
    const expected = await direct('/api/v1/secrets');
    assert.equal(offloaded.kind, 'SecretList');
    assert.equal(offloaded.apiVersion, 'v1');
    assert.deepEqual(offloaded.metadata, { resourceVersion: expected.metadata.resourceVersion });
    assert.equal(offloaded.items!.length, 24);
    assert.deepEqual(offloaded.items, expected.items);
    const pages = (await metric(stack.opsUrl, 'listgate_offload_pieces_total', { mode: 'pages' })) - pagesBefore;
    assert.ok(pages > 1, `served in ${pages} pages`);
    assert.equal(await offloads(stack, { mode: 'pages', result: 'complete' }), 1);
    assert.equal(await metric(stack.opsUrl, 'listgate_requests_total', { decision: 'offload', code: '200' }), 1);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_in_use_bytes'), 0, 'every page gave its lease back');
  });

  it("resourceVersion=0 with a limit (client-go's informer list, answered whole by the watch cache) is served as consistent pages", async () => {
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/namespaces/ns-1/secrets?resourceVersion=0&limit=500`, userAgent(stack));
    assert.equal(r.status, 200, r.body);
    const offloaded = JSON.parse(r.body) as KubeList;
    const expected = await direct('/api/v1/namespaces/ns-1/secrets?resourceVersion=0&limit=500');
    assert.ok(expected.items!.length > 0);
    assert.deepEqual(offloaded.items, expected.items);
    assert.equal(offloaded.metadata.continue, undefined);
    assert.ok(Number(offloaded.metadata.resourceVersion) >= Number(expected.metadata.resourceVersion), 'a consistent snapshot keeps "any version"');
  });

  it('kubectl get (Table, no chunking): column definitions once, the rows of every page', async () => {
    const raw = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack), { headers: { Accept: TABLE } });
    assert.equal(raw.status, 200, raw.body);
    const table = JSON.parse(raw.body) as KubeList;
    const expected = await direct('/api/v1/secrets', TABLE);
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions, expected.columnDefinitions);
    assert.equal(table.rows!.length, 24);
    // AGE, the last cell, is the only one that moves between the two.
    const cells = (t: KubeList) => (t.rows as Array<{ cells: unknown[]; object: unknown }>).map((r) => ({ cells: r.cells.slice(0, -1), object: r.object }));
    assert.deepEqual(cells(table), cells(expected));
    assert.equal(table.metadata.continue, undefined);

    const through = await stack.kubectl(['get', 'secrets', '-A', '--chunk-size=0']);
    assert.equal(through.code, 0, through.stderr);
    const straight = await stack.kubectl(['get', 'secrets', '-A', '--chunk-size=0'], { kubeconfig: stack.adminKubeconfig });
    // AGE is the only column that moves between the two.
    const names = (out: string) => out.split('\n').map((l) => l.split(/\s+/).slice(0, 4).join(' '));
    assert.deepEqual(names(through.stdout), names(straight.stdout));
    assert.equal(through.stdout.trim().split('\n').length, 25, 'the header and 24 rows');
  });

  it('a client that takes only protobuf is answered 429, and told why it was not served in pieces', async () => {
    await squeeze({ accept: 'application/vnd.kubernetes.protobuf' });
    const dry = await estimateOf(stack, '/api/v1/secrets', { accept: 'application/vnd.kubernetes.protobuf' });
    assert.equal(dry.decision, 'rejected');
    assert.match(dry.decisionReasons.join('\n'), /cannot be offloaded: its client accepts only protobuf/);
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack), { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 429);
    assert.match(JSON.parse(r.body).message as string, /listgate could not serve it in pieces either: its client accepts only protobuf, and listgate assembles lists in JSON \(add application\/json to Accept\)$/);
    // Protobuf or JSON: served, in JSON.
    const both = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack), { headers: { Accept: 'application/vnd.kubernetes.protobuf, application/json' } });
    assert.equal(both.status, 200);
    assert.equal((JSON.parse(both.body) as KubeList).items!.length, 24);
  });

  it('offload off: the 429 as before', async () => {
    await squeeze({ offload: 'off' });
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack));
    assert.equal(r.status, 429);
    assert.doesNotMatch(r.body, /in pieces/);
  });

  it('a page of one object that the level can never hold: 429, and the message says so', async () => {
    const one = (await estimateOf(stack, '/api/v1/secrets?limit=1')).estimatedBytes;
    await reloadAdmission(stack, Math.floor(one / 2));
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack));
    assert.equal(r.status, 429);
    assert.match(JSON.parse(r.body).message as string, /listgate could not serve it in pieces either: a page of one object is estimated at .+, more than priority level catch-all can ever hold/);
  });
});
