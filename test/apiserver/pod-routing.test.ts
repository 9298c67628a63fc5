/**
 * The pod-routing webhook registered with a real kube-apiserver (the shipped MutatingWebhookConfiguration
 * and RBAC, on loopback): the pods the apiserver stores in routed, unrouted and opted-out namespaces;
 * a dry run (kubectl --dry-run=server) routed without a ConfigMap; a sidecar another webhook adds after
 * ours routed too (reinvocation); ephemeral containers; and, with the webhook down, pods created unrouted
 * (failurePolicy Ignore) and an ephemeral container kept as it is, so a later one is still accepted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCA, issueServingCert } from '../../src/certs/pki.js';
import { addEphemeralContainer, createPod, createRoutedNamespace, readPod, startRoutingGateway, type Container, type Pod, type RoutingGateway } from '../support/apiserver/pod-routing.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl } from '../support/kubectl.js';

const NS = 'team-a';
const ENV_NAMES = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBERNETES_SERVICE_PORT_HTTPS'];

const caSource = (pod: Pod) => pod.spec.volumes?.find((v) => v.name.startsWith('kube-api-access-'))?.projected?.sources.find((s) => s.configMap)?.configMap?.name;
const serviceEnv = (c: Container) => (c.env ?? []).filter((e) => ENV_NAMES.includes(e.name));
const isRouted = (pod: Pod) => pod.metadata.labels?.['listgate.io/routed'] === 'true';

/** A mutating webhook that adds a `proxy` sidecar to pods labelled inject-sidecar=true, as service meshes do. */
async function startSidecarInjector(): Promise<{ server: Server; url: string; caPem: string }> {
  const ca = createCA('sidecar-injector-ca');
  const pair = issueServingCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const server = createServer({ cert: pair.certPem, key: pair.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string; object: Pod } };
      const has = review.request.object.spec.containers.some((c) => c.name === 'proxy');
      const patch = has ? [] : [{ op: 'add', path: '/spec/containers/-', value: { name: 'proxy', image: 'envoy:1' } }];
      const response = { uid: review.request.uid, allowed: true, ...(has ? {} : { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }) };
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/inject`, caPem: ca.certPem };
}

describe('pod routing on a real kube-apiserver', () => {
  let kube: KubeApiserver;
  let routing: RoutingGateway;
  let injector: Awaited<ReturnType<typeof startSidecarInjector>>;
  let home: string;
  const gatewayEnv = () => [
    { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
    { name: 'KUBERNETES_SERVICE_PORT', value: String(routing.gw.port) },
    { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: String(routing.gw.port) },
  ];

  before(async () => {
    kube = await startKubeApiserver();
    home = mkdtempSync(join(tmpdir(), 'listgate-routing-'));
    routing = await startRoutingGateway(kube, 'requestHeader');
    await createRoutedNamespace(kube, NS, 'requestHeader');
    await createRoutedNamespace(kube, 'plain', undefined);
    injector = await startSidecarInjector();
    // Ordered after listgate's (the apiserver calls configurations in name order), never reinvoked.
    const res = await kube.request('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      method: 'POST',
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'zz-sidecar-injector' },
        webhooks: [{
          name: 'inject.sidecar.test',
          admissionReviewVersions: ['v1'],
          clientConfig: { url: injector.url, caBundle: Buffer.from(injector.caPem).toString('base64') },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          objectSelector: { matchLabels: { 'inject-sidecar': 'true' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          timeoutSeconds: 5,
        }],
      },
    });
    assert.equal(res.status, 201, res.text);
  });
  after(async () => {
    await routing?.gw.close();
    await new Promise((resolve) => injector?.server.close(resolve));
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('routes a pod of a labelled namespace: every container, init too, points at the gateway, its token volume trusts the gateway\'s CA from a ConfigMap listgate wrote', async () => {
    const pod = await createPod(kube, NS, {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        initContainers: [{ name: 'migrate', image: 'm:1' }],
        containers: [{ name: 'app', image: 'app:1', env: [{ name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST)' }] }, { name: 'worker', image: 'w:1' }],
      },
    });
    assert.deepEqual(pod.metadata.labels, { app: 'web', 'listgate.io/routed': 'true' });
    assert.deepEqual(pod.spec.initContainers?.[0]?.env, gatewayEnv());
    assert.deepEqual(pod.spec.containers[0]?.env, [...gatewayEnv(), { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST)' }]);
    assert.deepEqual(pod.spec.containers[1]?.env, gatewayEnv());
    assert.equal(caSource(pod), 'listgate-gateway-ca');
    const configMap = await kube.request(`/api/v1/namespaces/${NS}/configmaps/listgate-gateway-ca`);
    assert.equal(configMap.status, 200, 'written with the gateway\'s own identity and the deploy/ RBAC');
    assert.equal((configMap.json as { data: Record<string, string> }).data['ca.crt'], routing.gw.servingCa.certPem);
  });

  const leftAlone: [string, string, Parameters<typeof createPod>[2]][] = [
    ['in a namespace without the label', 'plain', { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'c' }] } }],
    ['with the annotation listgate.io/route: "false"', NS, { metadata: { name: 'opt-annotation', annotations: { 'listgate.io/route': 'false' } }, spec: { containers: [{ name: 'c', image: 'c' }] } }],
    ['with the label listgate.io/route: "false"', NS, { metadata: { name: 'opt-label', labels: { 'listgate.io/route': 'false' } }, spec: { containers: [{ name: 'c', image: 'c' }] } }],
    ['that sets KUBERNETES_SERVICE_HOST itself', NS, { metadata: { name: 'own-env' }, spec: { containers: [{ name: 'c', image: 'c', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'api.example.com' }] }] } }],
  ];
  for (const [what, namespace, spec] of leftAlone) {
    it(`leaves alone a pod ${what}`, async () => {
      const pod = await createPod(kube, namespace, spec);
      assert.ok(!isRouted(pod));
      assert.equal(caSource(pod), 'kube-root-ca.crt');
      assert.deepEqual(serviceEnv(pod.spec.containers[0]!), (spec.spec.containers[0]!.env ?? []).filter((e) => ENV_NAMES.includes(e.name)));
    });
  }

  it('leaves alone a pod without a token (automountServiceAccountToken: false), and the pods of kube-system', async () => {
    const pod = await createPod(kube, NS, { metadata: { name: 'no-token' }, spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'c' }] } as Pod['spec'] });
    assert.ok(!isRouted(pod));
    assert.deepEqual(pod.spec.containers[0]!.env, undefined);
    const labelled = await kube.request('/api/v1/namespaces/kube-system', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { metadata: { labels: { 'listgate.io/route': 'true', 'listgate-test/gateway': 'requestHeader' } } },
    });
    assert.equal(labelled.status, 200, labelled.text);
    await kube.request('/api/v1/namespaces/kube-system/serviceaccounts', { method: 'POST', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } });
    const system = await createPod(kube, 'kube-system', { metadata: { name: 'system' }, spec: { containers: [{ name: 'c', image: 'c' }] } });
    assert.ok(!isRouted(system), 'kube-system is never routed, labelled or not');
  });

  it('routes a server-side dry run (kubectl create --dry-run=server) without writing a ConfigMap', async () => {
    await createRoutedNamespace(kube, 'team-dry', 'requestHeader');
    const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'dry', namespace: 'team-dry' }, spec: { containers: [{ name: 'c', image: 'c' }] } });
    const r = await runKubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { kubeconfig: kube.adminKubeconfig, home, input: manifest });
    assert.equal(r.code, 0, r.stderr);
    const pod = JSON.parse(r.stdout) as Pod;
    assert.ok(isRouted(pod));
    assert.deepEqual(pod.spec.containers[0]!.env, gatewayEnv());
    assert.equal((await kube.request('/api/v1/namespaces/team-dry/configmaps/listgate-gateway-ca')).status, 404);
  });

  it('routes the sidecar a later webhook adds (reinvocation), and each container gets the variables once', async () => {
    const pod = await createPod(kube, NS, { metadata: { name: 'meshed', labels: { 'inject-sidecar': 'true' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
    assert.deepEqual(pod.spec.containers.map((c) => [c.name, c.env]), [['app', gatewayEnv()], ['proxy', gatewayEnv()]]);
  });

  it('gives a routed pod\'s new ephemeral container (kubectl debug) the variables', async () => {
    const pod = await addEphemeralContainer(kube, NS, 'web', { name: 'debugger', image: 'busybox' });
    assert.deepEqual(pod.spec.ephemeralContainers?.map((c) => [c.name, c.env]), [['debugger', gatewayEnv()]]);
  });

  it('with the webhook down: creates pods unrouted, keeps an ephemeral container as it is, and a later one is routed and accepted', async () => {
    const server = routing.gw.app.webhook!.server;
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
    try {
      const pod = await createPod(kube, NS, { metadata: { name: 'while-down' }, spec: { containers: [{ name: 'c', image: 'c' }] } });
      assert.ok(!isRouted(pod), 'failurePolicy Ignore: created, unrouted');
      assert.equal(caSource(pod), 'kube-root-ca.crt');
      const missed = await addEphemeralContainer(kube, NS, 'web', { name: 'missed', image: 'busybox' });
      assert.deepEqual(missed.spec.ephemeralContainers?.find((c) => c.name === 'missed')?.env, undefined);
    } finally {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    }
    const later = await addEphemeralContainer(kube, NS, 'web', { name: 'later', image: 'busybox' });
    assert.deepEqual(later.spec.ephemeralContainers?.map((c) => [c.name, c.env]), [['debugger', gatewayEnv()], ['missed', undefined], ['later', gatewayEnv()]]);
    assert.ok(isRouted(await readPod(kube, NS, 'web')));
  });
});
