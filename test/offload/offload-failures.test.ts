/**
 * Offload's failure rules on the simulator. A page waits for its lease while its level is full (the ended
 * pages' bytes are held over for an hour); meanwhile an object is written and etcd compacted, so the
 * waiting page's continue token has expired (410) when a reload lets it go:
 *   - a list of small objects, nothing sent yet (the gateway holds the first MiB back): it starts over
 *     from its first page, and the client gets the whole list of the new snapshot, the new object in it;
 *   - a list of large objects, its first MiB sent: the response is broken off, the client sees a failed
 *     body, never a short list;
 *   - a client that leaves while its list waits for a page: no further page is asked for and every
 *     lease comes back;
 *   - a first page the apiserver refuses (a bad selector): its own 400, as a direct LIST gets;
 *   - a streaming list the upstream cannot serve (the simulator models a 1.32 apiserver on an etcd without
 *     progress notifications: an ERROR event), admission having been told it can: served in pages
 *     instead, nothing having been sent.
 */
import assert from 'node:assert/strict';
import { request, type Agent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually, metric, rawGet, userAgent } from '../admit/support/admission-stack.js';
import { estimateOf, offloads, reloadAdmission, type KubeList } from './support/offload-stack.js';

/** Creates a ConfigMap as the admin: a write that moves etcd's revision past the lists' snapshots. */
function writeObject(stack: E2EStack, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.gatewayUrl}/api/v1/namespaces/default/configmaps`, { method: 'POST', agent: userAgent(stack, 'admin'), headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } }));
  });
}

/** Starts a LIST; resolves with its response once headers arrive, and with how the body ended. */
function startList(url: string, agent: Agent): { response: Promise<IncomingMessage>; body: Promise<{ text: string } | { error: Error }> } {
  let settle!: (r: { text: string } | { error: Error }) => void;
  const body = new Promise<{ text: string } | { error: Error }>((resolve) => (settle = resolve));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { agent, headers: { Accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => settle({ text }));
      res.on('error', (error) => settle({ error }));
      resolve(res);
    });
    req.on('error', (error) => {
      settle({ error });
      reject(error);
    });
    req.end();
  });
  return { response, body };
}

describe('offload failures, on the simulator', () => {
  let stack: E2EStack;
  const waiting = () => metric(stack.opsUrl, 'listgate_offload_waiting_lists');
  /** Budget the whole LIST can never fit; ended pages held over for an hour, so a page soon waits. */
  const stall = async (path: string) => {
    const whole = (await estimateOf(stack, path)).estimatedBytes;
    const budget = Math.floor(0.6 * whole);
    await reloadAdmission(stack, budget, { holdOver: '1h', maxWait: '30s' });
    return budget;
  };
  const release = (budget: number) => reloadAdmission(stack, budget + 1, { holdOver: '0s', maxWait: '30s' });

  before(async () => {
    // Secrets of 512 KiB: a page of them is more than the MiB held back. ConfigMaps: small.
    stack = await startE2EStack({ seed: { secrets: 12, secretSize: 512 * 1024, namespaces: 1, configmaps: 60, pods: 0 }, version: '1.34', watchList: false });
  });
  after(async () => {
    await stack.close();
  });

  it('410 at a later page, nothing sent yet: the list starts over and the client gets the new snapshot whole', async () => {
    const budget = await stall('/api/v1/configmaps');
    const list = startList(`${stack.gatewayUrl}/api/v1/configmaps`, userAgent(stack));
    assert.equal(await eventually(waiting, 1, 20_000), 1, 'a page waits for its lease');
    assert.equal(await writeObject(stack, 'written-while-waiting'), 201);
    stack.sim.compact();
    await release(budget);
    const res = await list.response;
    assert.equal(res.statusCode, 200);
    const body = await list.body;
    assert.ok('text' in body, `the body completed: ${'error' in body ? body.error.message : ''}`);
    const got = JSON.parse(body.text) as KubeList;
    const direct = JSON.parse((await rawGet(`${stack.gatewayUrl}/api/v1/configmaps`, userAgent(stack, 'admin'))).body) as KubeList;
    assert.deepEqual(got.items, direct.items, 'the whole list of the new snapshot');
    assert.ok(got.items!.some((i) => i.metadata.name === 'written-while-waiting'));
    assert.equal(got.metadata.resourceVersion, direct.metadata.resourceVersion);
    assert.equal(await metric(stack.opsUrl, 'listgate_offload_restarts_total'), 1);
    assert.equal(await offloads(stack, { mode: 'pages', result: 'complete' }), 1);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_leases'), 0);
  });

  it('410 at a later page, the first MiB sent: the body is broken off, never a short list', async () => {
    const budget = await stall('/api/v1/secrets');
    const list = startList(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack));
    const res = await list.response;
    assert.equal(res.statusCode, 200, 'the first MiB went out with its status');
    assert.equal(await eventually(waiting, 1, 20_000), 1, 'a page waits for its lease');
    assert.equal(await writeObject(stack, 'written-while-sending'), 201);
    stack.sim.compact();
    await release(budget);
    const body = await list.body;
    assert.ok('error' in body, 'the client sees a failed body');
    assert.equal(await offloads(stack, { mode: 'pages', result: 'broken' }), 1);
    assert.equal(await eventually(() => metric(stack.opsUrl, 'listgate_admission_leases'), 0), 0, 'every lease came back');
  });

  it('a client that leaves while its list waits for a page: no further page is asked for, every lease comes back', async () => {
    const budget = await stall('/api/v1/secrets');
    const agent = userAgent(stack);
    const list = startList(`${stack.gatewayUrl}/api/v1/secrets`, agent);
    const res = await list.response;
    assert.equal(await eventually(waiting, 1, 20_000), 1);
    const asked = () => stack.sim.stats.requests().filter((r) => r.path.startsWith('/api/v1/secrets?') && r.path.includes('continue=')).length;
    const before = asked();
    res.destroy();
    agent.destroy();
    assert.equal(await eventually(waiting, 0), 0, 'it stopped waiting');
    await release(budget);
    assert.equal(await eventually(() => offloads(stack, { mode: 'pages', result: 'aborted' }), 1), 1);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_leases'), 0);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_queued_requests'), 0);
    assert.equal(asked(), before, 'no page was asked for after the client left');
  });

  it('a first page the apiserver refuses: its own answer, as a direct LIST gets it', async () => {
    await reloadAdmission(stack, Math.floor(0.6 * (await estimateOf(stack, '/api/v1/secrets')).estimatedBytes));
    const path = '/api/v1/secrets?labelSelector=a%20in';
    const offloaded = await rawGet(`${stack.gatewayUrl}${path}`, userAgent(stack));
    const direct = await rawGet(`${stack.gatewayUrl}${path}`, userAgent(stack, 'admin'));
    assert.equal(direct.status, 400);
    assert.equal(offloaded.status, 400);
    assert.equal(JSON.parse(offloaded.body).message, JSON.parse(direct.body).message);
    assert.equal(await offloads(stack, { mode: 'pages', result: 'answered' }), 1);
  });

  it('a streaming list the upstream cannot serve: served in pages instead, nothing having been sent', async () => {
    await reloadAdmission(stack, Math.floor(0.6 * (await estimateOf(stack, '/api/v1/secrets')).estimatedBytes), { streamingLists: 'enabled' });
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack));
    assert.equal(r.status, 200, r.body);
    const direct = JSON.parse((await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, userAgent(stack, 'admin'))).body) as KubeList;
    assert.deepEqual((JSON.parse(r.body) as KubeList).items, direct.items);
    assert.equal(await metric(stack.opsUrl, 'listgate_offload_fallbacks_total'), 1);
    assert.ok(stack.sim.stats.requests().some((q) => q.user === 'jane' && q.path.includes('sendInitialEvents=true')), 'the streaming list was asked for');
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_leases'), 0);
  });
});
