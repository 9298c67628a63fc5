/**
 * The pod-routing component agrees with the configuration in every rendering: the webhook is rendered
 * and marked on the pod exactly where webhook.enabled is true; the MutatingWebhookConfiguration calls the
 * gateway's webhook path through a Service that reaches webhook.listen.port; it selects the namespaces
 * the guide says (labelled, never the excluded ones), fails open within a timeout above the ConfigMap
 * write's, and is reinvoked after later webhooks; routed pods are sent to the listgate Service under a
 * name its serving certificate carries; and with cert-manager the apiserver's trust is injected.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseDuration } from '../../src/config/duration.js';
import { WEBHOOK_PATH } from '../../src/webhook/webhook-server.js';
import { configOf, objectsOf, REPO, theObject, type KubeObject } from './support/kustomize.js';
import { gatewayContainer, workloadOf } from './support/pod.js';
import { renderAll, type Rendering } from './support/variants.js';

interface WebhookSection {
  enabled: boolean;
  listen: { address: string; port: number };
  tls?: unknown;
  gateway: { host: string; port: number; caFile: string };
  caConfigMap: { timeout: string };
  excludedNamespaces: string[];
}
interface MutatingWebhook {
  name: string;
  admissionReviewVersions: string[];
  clientConfig: { service?: { name: string; namespace: string; port: number; path: string }; caBundle?: string; url?: string };
  rules: { operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[] }[];
  namespaceSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
  failurePolicy: string;
  timeoutSeconds: number;
  sideEffects: string;
  reinvocationPolicy: string;
}
interface ServiceSpec {
  ports: { name: string; port: number; targetPort: string }[];
}

const webhookOf = (objects: readonly KubeObject[]) => (configOf(objects) as unknown as { webhook: WebhookSection }).webhook;
const routed = (renderings: Rendering[]) => renderings.filter((r) => webhookOf(r.objects).enabled);

describe('pod routing in deploy/', () => {
  let renderings: Rendering[];
  let operations: string;
  before(async () => {
    renderings = await renderAll();
    operations = await readFile(join(REPO, 'docs/operations.md'), 'utf8');
  });

  it('renders the webhook and marks the pod exactly where webhook.enabled is true', () => {
    assert.deepEqual(routed(renderings).map((r) => r.name), ['in-front + pod-routing', 'in-front + pod-routing + cert-manager', 'control-plane + pod-routing']);
    for (const { name, objects } of renderings) {
      const enabled = webhookOf(objects).enabled;
      assert.equal(objectsOf(objects, 'MutatingWebhookConfiguration').length, enabled ? 1 : 0, name);
      assert.equal(workloadOf(objects).spec.template.metadata.annotations?.['listgate.io/pod-routing'], enabled ? 'enabled' : undefined, name);
    }
  });

  it('calls the webhook path through a Service that reaches webhook.listen.port on all interfaces', () => {
    for (const { name, objects } of routed(renderings)) {
      const config = webhookOf(objects);
      const [hook] = (theObject(objects, 'MutatingWebhookConfiguration').webhooks as MutatingWebhook[]);
      const target = hook!.clientConfig.service!;
      assert.equal(target.path, WEBHOOK_PATH, name);
      const service = theObject(objects, 'Service', target.name);
      assert.equal(service.metadata.namespace, target.namespace, `${name}: the Service is where the webhook looks for it`);
      const port = (service.spec as ServiceSpec).ports.find((p) => p.port === target.port);
      assert.ok(port, `${name}: ${target.name} serves port ${target.port}`);
      const containerPort = gatewayContainer(workloadOf(objects)).ports.find((p) => p.name === port.targetPort)?.containerPort;
      assert.equal(containerPort, config.listen.port, `${name}: the Service reaches webhook.listen.port`);
      assert.equal(config.listen.address, '0.0.0.0', `${name}: the apiserver reaches it from outside the pod`);
      assert.notEqual(target.name, 'listgate', `${name}: not through the client Service, which may be exposed`);
    }
  });

  it('selects pods in labelled namespaces only, never the excluded ones, and fails open within a bounded time', () => {
    for (const { name, objects } of routed(renderings)) {
      const config = webhookOf(objects);
      const [hook] = (theObject(objects, 'MutatingWebhookConfiguration').webhooks as MutatingWebhook[]);
      assert.deepEqual(hook!.namespaceSelector.matchLabels, { 'listgate.io/route': 'true' }, name);
      const notIn = hook!.namespaceSelector.matchExpressions?.find((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn')?.values ?? [];
      assert.deepEqual([...notIn].sort(), [...config.excludedNamespaces].sort(), `${name}: the selector and webhook.excludedNamespaces agree`);
      assert.ok(config.excludedNamespaces.includes(workloadOf(objects).metadata.namespace!), `${name}: the gateway never routes itself`);
      assert.ok(config.excludedNamespaces.includes('kube-system'), name);
      assert.deepEqual(hook!.rules.map((r) => [r.operations, r.apiGroups, r.apiVersions, r.resources]), [
        [['CREATE'], [''], ['v1'], ['pods']],
        [['UPDATE'], [''], ['v1'], ['pods/ephemeralcontainers']],
      ], name);
      assert.deepEqual(hook!.admissionReviewVersions, ['v1'], name);
      assert.equal(hook!.failurePolicy, 'Ignore', `${name}: pods are created unrouted when the gateway is down`);
      assert.equal(hook!.sideEffects, 'NoneOnDryRun', name);
      assert.equal(hook!.reinvocationPolicy, 'IfNeeded', `${name}: containers a later webhook adds get routed too`);
      assert.ok(hook!.timeoutSeconds <= 10, `${name}: a short timeout`);
      assert.ok(hook!.timeoutSeconds * 1000 > parseDuration(config.caConfigMap.timeout)!, `${name}: the ConfigMap write gives up before the apiserver does`);
    }
  });

  it('sends routed pods to the listgate Service, under a name the serving certificate carries', () => {
    for (const { name, objects } of routed(renderings)) {
      const config = webhookOf(objects);
      const service = theObject(objects, 'Service', 'listgate');
      assert.equal(config.gateway.host, `${service.metadata.name}.${service.metadata.namespace}.svc`, name);
      assert.equal(config.gateway.port, (service.spec as ServiceSpec).ports.find((p) => p.name === 'https')?.port, name);
      assert.equal(config.tls, undefined, `${name}: the webhook serves with the gateway's pair`);
      const tls = (configOf(objects) as { tls: { certFile: string } }).tls;
      assert.equal(dirname(config.gateway.caFile), dirname(tls.certFile), `${name}: the CA comes with the serving pair (ca.crt of its Secret)`);
      const certificates = objectsOf(objects, 'Certificate');
      if (certificates.length === 0) {
        assert.match(operations, /caBundle/, `${name}: the guide says how to set the apiserver's trust by hand`);
        continue;
      }
      const certificate = certificates[0]!;
      const dnsNames = (certificate.spec as { dnsNames: string[] }).dnsNames;
      for (const host of [config.gateway.host, 'listgate-webhook.listgate.svc']) assert.ok(dnsNames.includes(host), `${name}: the Certificate names ${host}`);
      const annotations = theObject(objects, 'MutatingWebhookConfiguration').metadata.annotations ?? {};
      assert.equal(annotations['cert-manager.io/inject-ca-from'], `${certificate.metadata.namespace}/${certificate.metadata.name}`, `${name}: cainjector fills the caBundle`);
    }
  });

});
