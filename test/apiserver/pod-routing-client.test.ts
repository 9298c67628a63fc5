/**
 * A routed pod's in-cluster client on a real kube-apiserver, in each identity mode: the pod is created
 * through the shipped webhook, then its filesystem and environment are made from the pod as stored,
 * as the kubelet would — KUBERNETES_SERVICE_* from the container's env, and in its service-account
 * folder a token bound to the pod (TokenRequest with the projected source's expiry and audience), ca.crt
 * from the ConfigMap the projected volume names, the namespace from the downward API — and client-node's
 * loadFromCluster() runs from them in a process of its own. It reaches the apiserver only through the
 * gateway: it is authenticated there by TokenReview and arrives upstream as the pod's service account
 * (with the pod's name in its extra attributes), and the same configuration pointed at the apiserver
 * itself is refused by TLS, because the pod trusts only the gateway's CA.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { grant } from '../support/apiserver/cluster-objects.js';
import type { InClusterResult } from '../support/apiserver/in-cluster-client.js';
import { createPod, createRoutedNamespace, startRoutingGateway, type Pod, type RoutingGateway } from '../support/apiserver/pod-routing.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';

const CLIENT = fileURLToPath(new URL('../support/apiserver/in-cluster-client.js', import.meta.url));
const MODES = ['requestHeader', 'impersonate', 'passthrough'] as const;

/** The pod's root as the kubelet would lay out its service-account volume; returns the prefix and the environment. */
async function materialize(kube: KubeApiserver, pod: Pod, root: string): Promise<{ prefix: string; env: Record<string, string> }> {
  const container = pod.spec.containers[0]!;
  const volume = pod.spec.volumes!.find((v) => v.projected?.sources.some((s) => s.serviceAccountToken))!;
  const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
  const dir = join(root, mount.mountPath);
  mkdirSync(dir, { recursive: true });
  for (const source of volume.projected!.sources) {
    if (source.serviceAccountToken) {
      const { expirationSeconds, audience } = source.serviceAccountToken;
      const res = await kube.request(`/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${pod.spec.serviceAccountName}/token`, {
        method: 'POST',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds, ...(audience ? { audiences: [audience] } : {}), boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
        },
      });
      assert.equal(res.status, 201, res.text);
      writeFileSync(join(dir, source.serviceAccountToken.path), (res.json as { status: { token: string } }).status.token);
    }
    if (source.configMap) {
      const res = await kube.request(`/api/v1/namespaces/${pod.metadata.namespace}/configmaps/${source.configMap.name}`);
      // This apiserver's ServiceAccount plugin also projects openshift-service-ca.crt, which nothing here
      // publishes; the ConfigMap with ca.crt must exist.
      if (!(source.configMap.items ?? []).some((i) => i.path === 'ca.crt') && res.status === 404) continue;
      assert.equal(res.status, 200, `the ConfigMap ${source.configMap.name} the pod reads exists`);
      const data = (res.json as { data: Record<string, string> }).data;
      for (const item of source.configMap.items ?? []) writeFileSync(join(dir, item.path), data[item.key]!);
    }
    for (const item of source.downwardAPI?.items ?? []) {
      if (item.fieldRef?.fieldPath === 'metadata.namespace') writeFileSync(join(dir, item.path), pod.metadata.namespace);
    }
  }
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
  return { prefix: root, env };
}

/** client-node's loadFromCluster() in a process whose environment is the container's (and PATH). */
function runInClusterClient(prefix: string, env: Record<string, string>): Promise<InClusterResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLIENT, prefix], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as InClusterResult);
      } catch {
        reject(new Error(`in-cluster client: ${err?.message ?? ''}\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe('a routed pod\'s in-cluster client on a real kube-apiserver', () => {
  let kube: KubeApiserver;
  let root: string;
  const gateways = new Map<string, RoutingGateway>();

  before(async () => {
    kube = await startKubeApiserver();
    root = mkdtempSync(join(tmpdir(), 'listgate-pod-root-'));
    for (const mode of MODES) {
      gateways.set(mode, await startRoutingGateway(kube, mode));
      const namespace = `app-${mode.toLowerCase()}`;
      await createRoutedNamespace(kube, namespace, mode);
      await grant(kube, { kind: 'ServiceAccount', name: 'app', namespace }, [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }], namespace);
    }
  });
  after(async () => {
    for (const { gw } of gateways.values()) await gw.close();
    await kube?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const mode of MODES) {
    it(`lists through the gateway as the pod's service account, and never reaches the apiserver around it (${mode})`, async () => {
      const { gw } = gateways.get(mode)!;
      const namespace = `app-${mode.toLowerCase()}`;
      const pod = await createPod(kube, namespace, { metadata: { name: 'controller' }, spec: { serviceAccountName: 'app', containers: [{ name: 'manager', image: 'controller:1' }] } });
      assert.equal(pod.metadata.labels?.['listgate.io/routed'], 'true');
      const { prefix, env } = await materialize(kube, pod, join(root, mode));
      assert.deepEqual(env, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(gw.port), KUBERNETES_SERVICE_PORT_HTTPS: String(gw.port) });

      const through = await runInClusterClient(prefix, env);
      assert.equal(through.error, undefined, through.error);
      assert.equal(through.server, gw.url);
      assert.equal(through.username, `system:serviceaccount:${namespace}:app`);
      assert.deepEqual(through.extra?.['authentication.kubernetes.io/pod-name'], ['controller'], 'the bound token\'s pod reaches the apiserver');
      assert.deepEqual(through.pods, ['controller']);
      const listed = gw.logs.find((l) => l.msg === 'request completed' && l.user === `system:serviceaccount:${namespace}:app` && l.verb === 'list');
      assert.ok(listed, 'the gateway authenticated and relayed the LIST');

      const around = await runInClusterClient(prefix, { ...env, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(kube.port) });
      assert.equal(around.server, kube.url);
      assert.match(around.error ?? '', /certificate|self[- ]signed|unable to verify/i, 'the pod trusts only the gateway\'s CA');
    });
  }
});
