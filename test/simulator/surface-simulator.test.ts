/**
 * The surface files wired into the real simulator (createSimulator via the test fixture), driven by real
 * kubectl with an admin client certificate: discovery, Table output, logs (-f), exec (WebSocket, stdin),
 * create -f / create secret generic with server-side validation, auth whoami, and health over --raw.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const run = promisify(execFile);
let t: TestSimulator;
let dir: string;
let env: NodeJS.ProcessEnv;
let pod: { namespace: string; name: string };

before(async () => {
  t = await startTestSimulator({ seed: { namespaces: 1, secrets: 2, configmaps: 1, pods: 2, deployments: 1 } });
  dir = await mkdtemp(join(tmpdir(), 'surface-simulator-'));
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: ${t.url}\n    certificate-authority-data: ${b64(t.caPem)}\n` +
      `users:\n- name: admin\n  user:\n    client-certificate-data: ${b64(t.admin.certPem)}\n    client-key-data: ${b64(t.admin.keyPem)}\n` +
      `contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: admin\n    namespace: default\ncurrent-context: sim\n`,
  );
  env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig };
  const pods = JSON.parse((await kubectl('get', 'pods', '-A', '-o', 'json')).stdout) as { items: { metadata: { namespace: string; name: string } }[] };
  assert.ok(pods.items.length > 0, 'the seed has pods');
  pod = pods.items[0]!.metadata;
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function kubectl(...args: string[]) {
  return run('kubectl', args, { env, timeout: 20_000 });
}

describe('real kubectl against createSimulator', () => {
  it('discovers the API and prints Tables', async () => {
    const resources = (await kubectl('api-resources', '--no-headers', '-o', 'name')).stdout.trim().split('\n');
    assert.ok(resources.includes('pods') && resources.includes('deployments.apps'), resources.join(','));
    const table = (await kubectl('get', 'pods', '-A')).stdout.split('\n');
    assert.deepEqual(table[0]!.split(/\s{2,}/), ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.match(table.find((l) => l.includes(pod.name)) ?? '', /1\/1\s+Running\s+0/);
    assert.equal((await kubectl('get', '--raw', '/readyz')).stdout, 'ok');
  });

  it('kubectl logs and logs -f stream the pod log', async () => {
    const { stdout } = await kubectl('logs', '-n', pod.namespace, pod.name, '--tail=2');
    assert.equal(stdout.split('\n').filter(Boolean).length, 2);
    assert.match(stdout, new RegExp(`pod=${pod.namespace}/${pod.name} container=main line=19 `));
    const follow = await kubectl('logs', '-f', '-n', pod.namespace, pod.name, '--tail=0', '--limit-bytes=100');
    assert.equal(follow.stdout.length, 100);
    assert.match(follow.stdout, /line=21 /);
  });

  it('kubectl exec runs commands over WebSocket, with exit codes and stdin', async () => {
    assert.equal((await kubectl('exec', '-n', pod.namespace, pod.name, '--', 'hostname')).stdout, `${pod.name}\n`);
    await assert.rejects(kubectl('exec', '-n', pod.namespace, pod.name, '--', 'sh', '-c', 'echo bye; exit 4'), (err: { code?: number; stdout?: string }) => {
      assert.equal(err.code, 4);
      assert.equal(err.stdout, 'bye\n');
      return true;
    });
    const child = spawn('kubectl', ['exec', '-i', '-n', pod.namespace, pod.name, '--', 'cat'], { env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stdin.end('round trip\n');
    assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
    assert.equal(out, 'round trip\n');
  });

  it('kubectl create -f and create secret generic pass server-side field validation', async () => {
    const file = join(dir, 'cm.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: surface-cm\ndata:\n  a: "1"\n');
    assert.equal((await kubectl('create', '-f', file)).stdout, 'configmap/surface-cm created\n');
    assert.equal((await kubectl('create', 'secret', 'generic', 'surface-secret', '--from-literal=k=v')).stdout, 'secret/surface-secret created\n');
    const rows = (await kubectl('get', 'secret', 'surface-secret', '--no-headers')).stdout.split(/\s+/);
    assert.deepEqual(rows.slice(0, 3), ['surface-secret', 'Opaque', '1']);
  });

  it('kubectl get -w prints the table once and then a row per event', { timeout: 15_000 }, async (ctx) => {
    const child = spawn('kubectl', ['get', 'configmaps', '-w', '--chunk-size=1'], { env });
    ctx.after(() => void child.kill());
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    const waitFor = async (re: RegExp): Promise<void> => {
      while (!re.test(out)) await new Promise((resolve) => child.stdout.once('data', resolve));
    };
    await waitFor(/^NAME\s+DATA\s+AGE\n/);
    await kubectl('create', 'configmap', 'watched-cm', '--from-literal=a=1', '--from-literal=b=2');
    await waitFor(/\nwatched-cm\s+2\s+\d+s\n/);
    assert.equal(out.match(/NAME\s+DATA/g)?.length, 1, out);
  });

  it('kubectl auth whoami reports the certificate identity', async () => {
    const { stdout } = await kubectl('auth', 'whoami', '-o', 'json');
    const info = JSON.parse(stdout).status.userInfo;
    assert.equal(info.username, 'admin');
    assert.ok(info.groups.includes('system:masters'));
  });
});
