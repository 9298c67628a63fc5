/**
 * The routing webhook served by a running gateway (its own HTTPS port) in front of the simulator: an
 * AdmissionReview for a pod gets a patch and the CA ConfigMap is written first (once per namespace, not
 * on a dry run); a new gateway CA on reload reaches every ConfigMap; and every kind of bad input gets a
 * clear answer — a Status for bodies that are not reviews, an AdmissionReview error for a review of
 * something else — while the server keeps serving.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/config.js';
import { readSnapshotFiles } from '../../src/config/load-config-file.js';
import { createSimulator } from '../../src/simulator/simulator.js';
import { startTestGateway, testConfigDocument, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { fetchSim, type TestSimulator } from '../support/simulator-fixture.js';

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

function post(port: number, ca: string, opts: { path?: string; method?: string; contentType?: string; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body ?? '';
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/mutate-pods',
        ca,
        agent: false,
        headers: { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      },
    );
    // A server that refuses a large body may close before it is all sent; the answer still arrives.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

function podReview(namespace: string, over: { operation?: string; subResource?: string; kind?: string; group?: string; dryRun?: boolean; object?: unknown } = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: over.group ?? '', version: 'v1', kind: over.kind ?? 'Pod' },
      resource: { group: over.group ?? '', version: 'v1', resource: over.kind === undefined ? 'pods' : `${over.kind.toLowerCase()}s` },
      ...(over.subResource ? { subResource: over.subResource } : {}),
      operation: over.operation ?? 'CREATE',
      namespace,
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      dryRun: over.dryRun ?? false,
      object: over.object ?? {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'web-', namespace },
        spec: {
          containers: [{ name: 'web', image: 'web:1' }],
          volumes: [{ name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
        },
      },
    },
  };
}

const metric = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

describe('the routing webhook of a running gateway', () => {
  let pki: GatewayTestPki;
  let sim: TestSimulator;
  let gw: TestGateway;
  let webhookDocument: Record<string, unknown>;
  const ca = () => pki.gatewayCa.certPem;
  const review = (body: unknown) => post(gw.webhookPort!, ca(), { body: JSON.stringify(body) });
  const configMap = async (namespace: string) => fetchSim(sim, `/api/v1/namespaces/${namespace}/configmaps/listgate-gateway-ca`);
  const metrics = async () => (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();

  before(async () => {
    pki = createGatewayTestPki();
    writeFileSync(join(pki.dir, 'gateway-ca.crt'), pki.gatewayCa.certPem);
    const simulator = createSimulator({
      tls: { certPem: pki.upstreamServing.certPem, keyPem: pki.upstreamServing.keyPem, clientCaPem: pki.upstreamCa.certPem },
      seed: { namespaces: 3, secrets: 0, secretSize: 8, configmaps: 0, pods: 0 },
    });
    const port = await simulator.listen(0, '127.0.0.1');
    sim = { url: `https://127.0.0.1:${port}`, port, caPem: pki.upstreamCa.certPem, admin: pki.gatewayClient, sim: simulator, close: () => simulator.close() };
    webhookDocument = { enabled: true, listen: { port: 0 }, gateway: { host: 'listgate.listgate.svc', caFile: 'gateway-ca.crt' } };
    gw = await startTestGateway({ pki, upstreamUrl: sim.url, logLevel: 'warn', webhook: webhookDocument });
  });
  after(async () => {
    await gw?.close();
    await sim?.close();
    pki?.cleanup();
  });

  it('routes a pod, writing the CA ConfigMap of its namespace first and only once', async () => {
    const first = await review(podReview('ns-0'));
    assert.equal(first.status, 200);
    const response = first.json.response as { allowed: boolean; patchType: string; patch: string; uid: string };
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as { path: string; value: unknown }[];
    assert.deepEqual(patch.find((op) => op.path === '/spec/containers/0/env')?.value, [
      { name: 'KUBERNETES_SERVICE_HOST', value: 'listgate.listgate.svc' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
      { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: '443' },
    ]);
    const stored = await configMap('ns-0');
    assert.equal(stored.status, 200);
    assert.equal((stored.json as { data: Record<string, string> }).data['ca.crt'], pki.gatewayCa.certPem);

    assert.equal((await review(podReview('ns-0'))).status, 200);
    const text = await metrics();
    assert.equal(metric(text, 'listgate_webhook_reviews_total{operation="CREATE",outcome="routed"}'), 2);
    assert.equal(metric(text, 'listgate_webhook_ca_configmaps_total{result="created"}'), 1, 'the second pod of the namespace costs no write');
  });

  it('writes nothing on a dry run, and refuses nothing it does not mutate', async () => {
    const dry = await review(podReview('ns-1', { dryRun: true }));
    assert.equal((dry.json.response as { patchType?: string }).patchType, 'JSONPatch');
    assert.equal((await configMap('ns-1')).status, 404);
    const update = await review(podReview('ns-1', { operation: 'UPDATE' }));
    assert.deepEqual(Object.keys(update.json.response as object).sort(), ['allowed', 'uid']);
  });

  it('answers a review of another kind with an AdmissionReview error that names the misconfigured rule', async () => {
    const body = podReview('ns-1', { kind: 'Deployment', group: 'apps' });
    const reply = await review(body);
    assert.equal(reply.status, 200);
    const response = reply.json.response as { uid: string; allowed: boolean; status: { code: number; message: string } };
    assert.equal(response.uid, body.request.uid);
    assert.equal(response.allowed, false);
    assert.equal(response.status.code, 400);
    assert.match(response.status.message, /mutates pods only, but was sent kind "Deployment" of group "apps"/);
    const noPod = await review(podReview('ns-1', { object: 'not a pod' }));
    assert.match((noPod.json.response as { status: { message: string } }).status.message, /carries no Pod/);
  });

  const badInput: [string, Parameters<typeof post>[2], number, RegExp][] = [
    ['another path', { path: '/validate' }, 404, /serves POST \/mutate-pods only/],
    ['GET', { method: 'GET' }, 405, /takes POST/],
    ['text/plain', { contentType: 'text/plain', body: '{}' }, 415, /as application\/json/],
    ['a body that is not JSON', { body: '{"apiVersion": ' }, 400, /not valid JSON/],
    ['a review of v1beta1', { body: JSON.stringify({ ...podReview('ns-1'), apiVersion: 'admission.k8s.io/v1beta1' }) }, 400, /got kind "AdmissionReview" of "admission.k8s.io\/v1beta1"/],
    ['a review without a uid', { body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }) }, 400, /no uid/],
    ['a JSON array', { body: '[1,2]' }, 400, /not a JSON object/],
    ['kind and apiVersion that are not names', { body: JSON.stringify({ kind: '<script>', apiVersion: 'x\ny' }) }, 400, /got kind \(unreadable\) of \(unreadable\)/],
    ['a body over 8 MiB', { body: Buffer.alloc(8 * 1024 * 1024 + 1, 0x20) }, 413, /larger than 8388608 bytes/],
  ];
  for (const [name, opts, code, message] of badInput) {
    it(`answers ${name} with a ${code} Status`, async () => {
      const reply = await post(gw.webhookPort!, ca(), opts);
      assert.equal(reply.status, code);
      assert.equal(reply.json.kind, 'Status');
      assert.equal(reply.json.code, code);
      assert.match(String(reply.json.message), message);
    });
  }

  it('still routes after all of that, and counts each answer by status', async () => {
    assert.equal(((await review(podReview('ns-2'))).json.response as { allowed: boolean }).allowed, true);
    const text = await metrics();
    for (const code of [404, 405, 413, 415]) assert.equal(metric(text, `listgate_webhook_requests_total{code="${code}"}`), 1, `code ${code}`);
    assert.ok(metric(text, 'listgate_webhook_requests_total{code="400"}') >= 5);
  });

  it('rewrites every CA ConfigMap when the gateway CA changes on reload', async () => {
    const next = pki.otherCa;
    writeFileSync(join(pki.dir, 'gateway-ca.crt'), `${pki.gatewayCa.certPem}${next.certPem}`);
    const document = testConfigDocument({ pki, upstreamUrl: sim.url, logLevel: 'warn', webhook: webhookDocument });
    const failures = gw.app.config.publish(readSnapshotFiles(parseConfig(document, { baseDir: pki.dir })));
    assert.deepEqual(failures, []);
    // The new CA starts a resync in the background; wait for it to end.
    await gw.app.webhook!.resynced();
    const bundles = await Promise.all(['ns-0', 'ns-2'].map(async (ns) => ((await configMap(ns)).json as { data: Record<string, string> }).data['ca.crt']));
    assert.deepEqual(bundles, [`${pki.gatewayCa.certPem}${next.certPem}`, `${pki.gatewayCa.certPem}${next.certPem}`]);
    assert.equal(metric(await metrics(), 'listgate_webhook_ca_configmaps_total{result="updated"}'), 2);
  });

  it('writes the CA ConfigMap for a pod that arrives routed already (a copied manifest), with no patch', async () => {
    const copied = podReview('ns-1');
    const object = copied.request.object as { metadata: Record<string, unknown>; spec: { containers: Record<string, unknown>[]; volumes: { projected: { sources: Record<string, unknown>[] } }[] } };
    object.metadata.labels = { 'listgate.io/routed': 'true' };
    object.spec.containers[0]!.env = [{ name: 'KUBERNETES_SERVICE_HOST', value: 'listgate.listgate.svc' }, { name: 'KUBERNETES_SERVICE_PORT', value: '443' }];
    object.spec.volumes[0]!.projected.sources[1] = { configMap: { name: 'listgate-gateway-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } };
    const reply = await review(copied);
    assert.deepEqual(Object.keys(reply.json.response as object).sort(), ['allowed', 'uid']);
    assert.equal((await configMap('ns-1')).status, 200);
  });

  it('gives only the new ephemeral container of a routed pod the variables', async () => {
    const old = podReview('ns-2').request.object as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    old.metadata.labels = { 'listgate.io/routed': 'true' };
    old.spec.ephemeralContainers = [{ name: 'missed', image: 'busybox' }];
    const object = structuredClone(old);
    (object.spec.ephemeralContainers as unknown[]).push({ name: 'debugger', image: 'busybox' });
    const body = podReview('ns-2', { operation: 'UPDATE', subResource: 'ephemeralcontainers', object });
    const reply = await review({ ...body, request: { ...body.request, oldObject: old } });
    const patch = JSON.parse(Buffer.from((reply.json.response as { patch: string }).patch, 'base64').toString('utf8')) as { path: string }[];
    assert.deepEqual(patch.map((op) => op.path), ['/spec/ephemeralContainers/1/env']);
  });
});
