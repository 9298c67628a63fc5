/**
 * Discovery as kubectl uses it (the documents themselves are held to a real apiserver's by
 * test/contract/discovery.contract.ts), /version, health, OpenAPI v3 and Table output, through a small HTTPS server of the test's own:
 * non-resource paths go to serveNonResource; a stub collection endpoint answers LISTs (as a Table when asked)
 * and echoes creates, so real kubectl (`version`, `api-resources`, `get`, `create -f`) can run against it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCA, issueServingCert } from '../../src/certs/pki.js';
import { serveNonResource } from '../../src/simulator/discovery.js';
import type { KubeObject } from '../../src/simulator/kube-object.js';
import { RESOURCES, findResource } from '../../src/simulator/resources.js';
import { toTable } from '../../src/simulator/table.js';

const run = promisify(execFile);
const NOW = Date.parse('2025-03-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const meta = (name: string, age: number, namespace?: string) => ({ name, namespace, uid: `uid-${name}`, resourceVersion: '41', creationTimestamp: ago(age) });

const OBJECTS: Record<string, KubeObject[]> = {
  namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta('default', 2 * 86400_000), status: { phase: 'Active' } }],
  secrets: [{ apiVersion: 'v1', kind: 'Secret', metadata: meta('secret-1', 5_000, 'default'), type: 'Opaque', data: { a: 'eA==', b: 'eQ==' } }],
  configmaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm-1', 10 * 60_000, 'default'), data: { k: 'v' }, binaryData: { b: 'AA==' } }],
  pods: [
    {
      apiVersion: 'v1', kind: 'Pod', metadata: meta('web-0', 3 * 3600_000 + 15 * 60_000, 'default'),
      spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'nginx' }, { name: 'side', image: 'busybox' }] },
      status: {
        phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }],
        containerStatuses: [
          { name: 'main', ready: true, restartCount: 2, state: { running: {} } },
          { name: 'side', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
    },
  ],
  deployments: [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web', 90 * 60_000, 'default'),
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    },
  ],
};

interface Harness { url: string; caPem: string; server: Server; dir: string; kubeconfig: string; seen: string[] }
let h: Harness;

async function startHarness(): Promise<Harness> {
  const ca = createCA('surface-discovery-ca');
  const serving = issueServingCert(ca);
  const seen: string[] = [];
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (serveNonResource(req, res, { watchList: true })) return;
    const m = /^\/(?:api|apis\/([^/]+))\/v1\/(?:namespaces\/[^/]+\/)?([a-z]+)$/.exec(new URL(req.url ?? '/', 'https://x').pathname);
    const def = m ? findResource(m[1] ?? '', 'v1', m[2]!) : undefined;
    const json = (code: number, body: unknown): void => void res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (!def) return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 });
    if (req.method === 'POST') {
      let body = '';
      return void req.on('data', (c: Buffer) => (body += c)).on('end', () => json(201, JSON.parse(body)));
    }
    const items = OBJECTS[def.resource] ?? [];
    if ((req.headers.accept ?? '').includes('as=Table')) return json(200, toTable(def, items, { listMeta: { resourceVersion: '41' }, now: Date.now() }));
    json(200, { kind: def.listKind, apiVersion: 'v1', metadata: { resourceVersion: '41' }, items });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'surface-discovery-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const ca64 = Buffer.from(ca.certPem).toString('base64');
  await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${ca64}\nusers:\n- name: sim\n  user:\n    token: surface-test\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n    namespace: default\ncurrent-context: sim\n`);
  return { url, caPem: ca.certPem, server, dir, kubeconfig, seen };
}

before(async () => { h = await startHarness(); });
after(async () => {
  h.server.closeAllConnections();
  await new Promise<void>((resolve) => h.server.close(() => resolve()));
  await rm(h.dir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => run('kubectl', args, { env: { PATH: process.env.PATH, HOME: h.dir, KUBECONFIG: h.kubeconfig }, timeout: 15_000 });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }
function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    request(`${h.url}${path}`, { ca: h.caPem, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject).end();
  });
}

describe('discovery and /version with real kubectl', () => {
  it('kubectl version reports a 1.32 server', async () => {
    const { stdout } = await kubectl('version', '-o', 'json');
    const server = JSON.parse(stdout).serverVersion;
    assert.equal(server.major, '1');
    assert.equal(server.minor, '32');
    assert.match(server.gitVersion, /^v1\.32\.\d+$/);
    assert.equal(server.platform, 'linux/amd64');
  });

  it('kubectl api-resources lists every registry resource from aggregated discovery alone', async () => {
    h.seen.length = 0;
    const { stdout } = await kubectl('api-resources', '-o', 'wide', '--no-headers');
    const lines = stdout.trim().split('\n').map((line) => line.split(/\s+/));
    const rows = new Map(lines.map((cells) => [cells[0]!, cells]));
    assert.deepEqual(lines.map((cells) => cells[0]).sort(), RESOURCES.map((r) => r.resource).sort());
    assert.deepEqual(rows.get('pods'), ['pods', 'po', 'v1', 'true', 'Pod', 'create,delete,deletecollection,get,list,patch,update,watch', 'all']);
    assert.deepEqual(rows.get('deployments')?.slice(0, 5), ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    assert.ok(!h.seen.some((r) => /^GET \/(api\/v1|apis\/[^?]+)\?/.test(r)), `no per-group requests: ${h.seen.join(', ')}`);
  });

  it('answers health checks like healthz.go', async () => {
    assert.equal((await get('/healthz')).body, 'ok');
    assert.equal((await get('/readyz/ping')).body, 'ok');
    const verbose = await get('/livez?verbose&exclude=etcd&exclude=nope');
    assert.equal(verbose.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(verbose.body, /^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd excluded: ok\n/);
    assert.match(verbose.body, /warn: some health checks cannot be excluded: no matches for "nope"\nlivez check passed\n$/);
    assert.equal((await get('/healthz/nope')).status, 404);
  });
});

describe('OpenAPI v3 and kubectl create', () => {
  it('publishes one document per group/version whose PATCH operations take fieldValidation', async () => {
    const root = JSON.parse((await get('/openapi/v3')).body);
    assert.deepEqual(Object.keys(root.paths).sort(), ['api/v1', 'apis/apps/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/events.k8s.io/v1']);
    const url = root.paths['apis/apps/v1'].serverRelativeURL as string;
    assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const reply = await get(url, { Accept: 'application/json' });
    assert.equal(reply.headers['cache-control'], 'public, immutable');
    const patch = JSON.parse(reply.body).paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    const v2 = await get('/openapi/v2');
    assert.deepEqual(JSON.parse(v2.body).info, { title: 'Kubernetes', version: 'v1.32.6' });
  });

  it('kubectl create -f validates on the server (Strict) without needing OpenAPI v2', async () => {
    const file = join(h.dir, 'objects.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: "1"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: nginx}]}\n');
    h.seen.length = 0;
    const { stdout } = await kubectl('create', '-f', file);
    assert.equal(stdout, 'configmap/demo created\ndeployment.apps/web created\n');
    assert.ok(h.seen.some((r) => r.startsWith('POST /api/v1/namespaces/default/configmaps?') && r.includes('fieldValidation=Strict')));
    assert.ok(!h.seen.some((r) => r.includes('/openapi/v2')), 'no OpenAPI v2 download');
  });

  it('kubectl create -f of a kind without PATCH falls back to OpenAPI v2 (protobuf) and still creates', async () => {
    const file = join(h.dir, 'review.yaml');
    await writeFile(file, 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: abc\n');
    h.seen.length = 0;
    const { stdout } = await kubectl('create', '-f', file, '-o', 'name');
    assert.equal(stdout, 'tokenreview.authentication.k8s.io/<unknown>\n');
    assert.ok(h.seen.some((r) => r.startsWith('GET /openapi/v2')), 'the v2 document was read');
  });
});

describe('Table output through kubectl get', () => {
  it('renders the printers columns for pods, deployments, secrets, configmaps and namespaces', async () => {
    const pods = (await kubectl('get', 'pods', '-o', 'wide')).stdout.split('\n');
    assert.deepEqual(pods[0]!.split(/\s{2,}/), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.deepEqual(pods[1]!.split(/\s+/).filter((c) => c !== '').slice(0, 4), ['web-0', '1/2', 'CrashLoopBackOff', '3']);
    const deploys = (await kubectl('get', 'deployments')).stdout.split('\n');
    assert.deepEqual(deploys[0]!.split(/\s+/).filter(Boolean), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(deploys[1]!.split(/\s+/).slice(0, 4), ['web', '2/3', '3', '2']);
    assert.deepEqual((await kubectl('get', 'secrets', '--no-headers')).stdout.split(/\s+/).slice(0, 3), ['secret-1', 'Opaque', '2']);
    assert.deepEqual((await kubectl('get', 'configmaps', '--no-headers')).stdout.split(/\s+/).slice(0, 2), ['cm-1', '2']);
    assert.deepEqual((await kubectl('get', 'namespaces', '--no-headers')).stdout.split(/\s+/).slice(0, 2), ['default', 'Active']);
  });
});
