/**
 * Offload on a real kube-apiserver 1.32.6 (etcd 3.5: it serves streaming lists): an unpaginated LIST its
 * priority level can never hold, served by listgate in pieces, equals the direct LIST — items, order,
 * kind, apiVersion, resourceVersion —
 *   - in consistent pages, as JSON (plain, and resourceVersion=0 with a limit, as client-go's informers
 *     ask) and as kubectl's Table (kubectl get --chunk-size=0, and the raw Table);
 *   - from one streaming list upstream, as JSON;
 * and its failure rules hold against the real etcd compaction: a continue token expired (410) at a later
 * page with nothing sent restarts the list, with bytes sent breaks the body; a client that leaves while
 * its list waits for a page stops the upstream reads and gets every lease back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, metric } from '../admit/support/admission-stack.js';
import { admissionSection, estimateOf, offloads, type AdmissionOptions, type KubeList } from '../offload/support/offload-stack.js';
import { createNamespace, grant, seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type ClusterUser, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl } from '../support/kubectl.js';

const NS = 'offload';
const BIG = 'offload-big';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const READ = [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] }];

interface Answer {
  status: number;
  text?: string;
  error?: Error;
}

/** A GET through the gateway as `who`; `onResponse` sees the response as soon as its headers arrive. */
function get(gw: GatewayOnApiserver, who: ClusterUser, path: string, opts: { accept?: string; onResponse?: (res: IncomingMessage) => void } = {}): Promise<Answer> {
  const agent = new Agent({ ca: gw.servingCa.certPem, cert: who.certPem, key: who.keyPem });
  return new Promise((resolve) => {
    const req = request(`${gw.url}${path}`, { agent, headers: { Accept: opts.accept ?? 'application/json' } }, (res) => {
      opts.onResponse?.(res);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, error }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, error: new Error('closed before its end') }));
    });
    req.on('error', (error) => resolve({ status: 0, error }));
    req.end();
  }).finally(() => agent.destroy()) as Promise<Answer>;
}

describe('offload on a real kube-apiserver', { timeout: 10 * 60_000 }, () => {
  let kube: KubeApiserver;
  let gw: GatewayOnApiserver;
  let jane: ClusterUser;
  let home: string;

  /** A budget none of the LISTs (path, Accept) can ever fit as estimated now, with the other admission options. */
  const squeeze = async (lists: Array<[string, string?]>, o: AdmissionOptions = {}): Promise<number> => {
    const estimates = await Promise.all(lists.map(async ([path, accept]) => (await estimateOf(gw, path, accept ? { accept } : {})).estimatedBytes));
    const budget = Math.floor(0.6 * Math.min(...estimates));
    gw.reload({ admission: admissionSection(budget, o) });
    return budget;
  };
  /** The list made at `rv` exactly, straight from the apiserver: what an offloaded list at that version must equal. */
  const at = (path: string, rv: string | undefined, accept?: string) =>
    direct(`${path}${path.includes('?') ? '&' : '?'}resourceVersion=${rv}&resourceVersionMatch=Exact`, accept);
  const direct = async (path: string, accept = 'application/json'): Promise<KubeList> => {
    const r = await kube.request(path, { headers: { Accept: accept } });
    assert.equal(r.status, 200, r.text);
    return r.json as KubeList;
  };
  const through = async (path: string, accept?: string): Promise<KubeList> => {
    const r = await get(gw, jane, path, accept ? { accept } : {});
    assert.equal(r.status, 200, r.text ?? r.error?.message);
    return JSON.parse(r.text!) as KubeList;
  };

  before(async () => {
    kube = await startKubeApiserver();
    home = mkdtempSync(join(tmpdir(), 'listgate-offload-'));
    for (const ns of [NS, BIG]) await createNamespace(kube, ns);
    jane = await kube.createUser('jane', ['developers']);
    await grant(kube, { kind: 'Group', name: 'developers' }, READ);
    await seedSecrets(kube, { namespace: NS, count: 40, dataBytes: 48 * 1024 });
    await seedSecrets(kube, { namespace: BIG, count: 10, dataBytes: 600 * 1024 });
    for (let i = 0; i < 60; i++) {
      const r = await kube.request(`/api/v1/namespaces/${NS}/configmaps`, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
      assert.equal(r.status, 201, r.text);
    }
    gw = await startGatewayOnApiserver(kube, { overrides: { admission: admissionSection(6 * 1024 ** 3) } });
  });
  after(async () => {
    await gw?.close();
    await kube?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('JSON in consistent pages: the direct list, item for item, at its resourceVersion', async () => {
    const path = `/api/v1/namespaces/${NS}/secrets`;
    await squeeze([[path]], { streamingLists: 'disabled' });
    assert.equal((await estimateOf(gw, path)).decision, 'offload');
    const got = await through(path);
    const expected = await at(path, got.metadata.resourceVersion);
    assert.equal(got.kind, 'SecretList');
    assert.equal(got.apiVersion, 'v1');
    assert.deepEqual(got.metadata, { resourceVersion: expected.metadata.resourceVersion });
    assert.equal(got.items!.length, 40);
    assert.deepEqual(got.items, expected.items);
    assert.deepEqual(got.items, (await direct(path)).items, 'and the latest list (nothing written in between)');
    assert.ok((await metric(gw.opsUrl, 'listgate_offload_pieces_total', { mode: 'pages' })) > 1);
    assert.equal(await offloads(gw, { mode: 'pages', result: 'complete' }), 1);

    // Offloaded lists teach their sizes: the budget follows the estimate as it is now.
    await squeeze([[`${path}?resourceVersion=0&limit=500`]], { streamingLists: 'disabled' });
    const informer = await through(`${path}?resourceVersion=0&limit=500`);
    assert.equal(await offloads(gw, { mode: 'pages', result: 'complete' }), 2);
    assert.deepEqual(informer.items, expected.items);
    assert.equal(informer.metadata.continue, undefined);
    assert.ok(Number(informer.metadata.resourceVersion) >= Number(got.metadata.resourceVersion), 'a consistent snapshot keeps "any version"');
    assert.equal(await metric(gw.opsUrl, 'listgate_admission_leases'), 0);
  });

  it("kubectl's Table in pages: column definitions once, every row", async () => {
    const path = `/api/v1/namespaces/${NS}/secrets`;
    await squeeze([[path, TABLE]], { streamingLists: 'disabled' });
    const table = await through(path, TABLE);
    const expected = await at(path, table.metadata.resourceVersion, TABLE);
    assert.equal(table.metadata.resourceVersion, expected.metadata.resourceVersion);
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions, expected.columnDefinitions);
    const cells = (t: KubeList) => (t.rows as Array<{ cells: unknown[]; object: unknown }>).map((r) => ({ cells: r.cells.slice(0, -1), object: r.object }));
    assert.equal(table.rows!.length, 40);
    assert.deepEqual(cells(table), cells(expected));
    const kubeconfig = await gw.kubeconfigFor(jane, 'jane');
    await squeeze([[path, TABLE]], { streamingLists: 'disabled' });
    const viaGateway = await runKubectl(['get', 'secrets', '-n', NS, '--chunk-size=0'], { kubeconfig, home });
    const straight = await runKubectl(['get', 'secrets', '-n', NS, '--chunk-size=0'], { kubeconfig: jane.kubeconfig, home });
    assert.equal(viaGateway.code, 0, viaGateway.stderr);
    const names = (out: string) => out.split('\n').map((l) => l.split(/\s+/).slice(0, 3).join(' '));
    assert.deepEqual(names(viaGateway.stdout), names(straight.stdout));
    assert.equal(await offloads(gw, { mode: 'pages', result: 'complete' }), 4);
  });

  it('JSON from one streaming list upstream: the direct list, item for item, at its resourceVersion', async () => {
    const path = `/api/v1/namespaces/${NS}/secrets`;
    await squeeze([[path]], { streamingLists: 'auto' });
    // The first LIST admission weighs asks whether the upstream serves streaming lists (once asked, known).
    await through(path);
    assert.equal(await eventually(() => metric(gw.opsUrl, 'listgate_admission_streaming_lists'), 1), 1);
    await squeeze([[path]], { streamingLists: 'auto' });
    const watched = await offloads(gw, { mode: 'watch', result: 'complete' });
    const got = await through(path);
    assert.equal(await offloads(gw, { mode: 'watch', result: 'complete' }), watched + 1, 'served from a streaming list');
    const expected = await at(path, got.metadata.resourceVersion);
    assert.equal(got.kind, 'SecretList');
    assert.equal(got.apiVersion, 'v1');
    assert.deepEqual(got.metadata, { resourceVersion: expected.metadata.resourceVersion });
    assert.deepEqual(got.items, expected.items);
    assert.equal(await metric(gw.opsUrl, 'listgate_admission_leases'), 0);
  });

  /**
   * Pages of one object or two (a budget of 2.5 pages of one), whose bytes are held over for an hour once
   * they end: the third page waits for its lease. Starts the LIST and waits until it does.
   */
  const stallAt = async (path: string, start: () => Promise<Answer>): Promise<{ budget: number; answer: Promise<Answer> }> => {
    const budget = Math.floor(2.5 * (await estimateOf(gw, `${path}?limit=1`)).estimatedBytes);
    gw.reload({ admission: admissionSection(budget, { streamingLists: 'disabled', holdOver: '1h', maxWait: '60s' }) });
    assert.equal((await estimateOf(gw, path)).decision, 'offload');
    const answer = start();
    assert.equal(await eventually(() => metric(gw.opsUrl, 'listgate_offload_waiting_lists'), 1, 30_000), 1, 'a page waits for its lease');
    return { budget, answer };
  };
  const letGo = (budget: number) => gw.reload({ admission: admissionSection(budget + 1, { streamingLists: 'disabled', holdOver: '0s', maxWait: '60s' }) });
  const writeAndCompact = async (name: string) => {
    const w = await kube.request(`/api/v1/namespaces/${NS}/configmaps`, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } });
    assert.equal(w.status, 201, w.text);
    await kube.compact();
  };

  it('410 at a later page with nothing sent: the list starts over, the client gets the new snapshot whole', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const restarts = await metric(gw.opsUrl, 'listgate_offload_restarts_total');
    const { budget, answer } = await stallAt(path, () => get(gw, jane, path));
    await writeAndCompact('written-while-waiting');
    letGo(budget);
    const r = await answer;
    assert.equal(r.status, 200, r.error?.message);
    const got = JSON.parse(r.text!) as KubeList;
    const expected = await direct(path);
    assert.deepEqual(got.items, expected.items);
    assert.ok(got.items!.some((i) => i.metadata.name === 'written-while-waiting'));
    assert.equal(got.metadata.resourceVersion, expected.metadata.resourceVersion);
    assert.equal((await metric(gw.opsUrl, 'listgate_offload_restarts_total')) - restarts, 1);
    const restart = gw.logs.find((l) => l.msg === 'offloaded LIST starts over from its first page');
    assert.match(JSON.stringify(restart), /410/);
  });

  it('410 at a later page with bytes sent: the body is broken off', async () => {
    const path = `/api/v1/namespaces/${BIG}/secrets`;
    let status = 0;
    const { budget, answer } = await stallAt(path, () => get(gw, jane, path, { onResponse: (res) => (status = res.statusCode ?? 0) }));
    assert.equal(status, 200, 'the first MiB went out with its status');
    await writeAndCompact('written-while-sending');
    letGo(budget);
    const r = await answer;
    assert.ok(r.error, 'the client sees a failed body');
    assert.equal(await offloads(gw, { mode: 'pages', result: 'broken' }), 1);
    assert.equal(await eventually(() => metric(gw.opsUrl, 'listgate_admission_leases'), 0), 0);
  });

  it('a client that leaves while its list waits for a page: no page asked for after, every lease back', async () => {
    const path = `/api/v1/namespaces/${BIG}/secrets`;
    let response: IncomingMessage | undefined;
    const { budget, answer } = await stallAt(path, () => get(gw, jane, path, { onResponse: (res) => (response = res) }));
    const pieces = await metric(gw.opsUrl, 'listgate_offload_pieces_total', { mode: 'pages' });
    const aborted = await offloads(gw, { mode: 'pages', result: 'aborted' });
    response!.destroy();
    await answer;
    assert.equal(await eventually(() => offloads(gw, { mode: 'pages', result: 'aborted' }), aborted + 1), aborted + 1);
    letGo(budget);
    assert.equal(await metric(gw.opsUrl, 'listgate_offload_waiting_lists'), 0);
    assert.equal(await metric(gw.opsUrl, 'listgate_admission_leases'), 0);
    assert.equal(await metric(gw.opsUrl, 'listgate_offload_pieces_total', { mode: 'pages' }), pieces, 'no page asked for after the client left');
  });
});
