/**
 * The workload as a careful platform team would want it, in every rendering: restrictive security
 * context, requests and limits, probes on the ops port, every configured file mounted so hot reload
 * works, drained within its grace period, and the Services, PodDisruptionBudget, NetworkPolicy and
 * ServiceMonitor wired to its pods and ports.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseDuration } from '../../src/config/duration.js';
import { configOf, objectsOf, REPO, theObject } from './support/kustomize.js';
import { gatewayContainer, matches, quantity, workloadOf } from './support/pod.js';
import { renderAll, type Rendering } from './support/variants.js';

interface Config {
  listen: { port: number };
  ops: { port: number };
  tls: { certFile: string; keyFile: string };
  upstream: Record<string, string | undefined>;
  authentication: { clientCAFiles: string[] };
  identity: { requestHeader?: { clientCertFile?: string; clientKeyFile?: string } };
  shutdown: { readinessGracePeriod: string; drainTimeout: string };
  webhook: { enabled: boolean; listen: { port: number }; tls?: { certFile: string; keyFile: string }; gateway: { caFile: string } };
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function namedFiles(config: Config): string[] {
  const { upstream, identity, webhook } = config;
  const webhookFiles = webhook.enabled ? [webhook.gateway.caFile, webhook.tls?.certFile, webhook.tls?.keyFile] : [];
  return [config.tls.certFile, config.tls.keyFile, upstream.caFile, upstream.clientCertFile, upstream.clientKeyFile, upstream.tokenFile, ...config.authentication.clientCAFiles, identity.requestHeader?.clientCertFile, identity.requestHeader?.clientKeyFile, ...webhookFiles].filter(
    (f): f is string => f !== undefined,
  );
}

describe('the gateway workload', () => {
  let renderings: Rendering[];
  let operations: string;
  before(async () => {
    renderings = await renderAll();
    operations = await readFile(join(REPO, 'docs/operations.md'), 'utf8');
  });

  it('runs as non-root with a read-only root filesystem, no privilege escalation, no capabilities, seccomp RuntimeDefault', () => {
    for (const { name, objects } of renderings) {
      const pod = workloadOf(objects).spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true, name);
      assert.ok((pod.securityContext.runAsUser ?? 0) > 0, `${name}: a non-zero uid`);
      assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault', name);
      for (const c of pod.containers) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name}`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}`);
        assert.notEqual(c.securityContext?.privileged, true, `${name}/${c.name}`);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, `${name}/${c.name}: drops every capability, adds none`);
      }
    }
  });

  it('sets CPU and memory requests and limits, and keeps the V8 heap inside the memory limit', () => {
    for (const { name, objects } of renderings) {
      const c = gatewayContainer(workloadOf(objects));
      for (const resource of ['cpu', 'memory']) {
        const request = c.resources.requests?.[resource];
        const limit = c.resources.limits?.[resource];
        assert.ok(request && limit, `${name}: ${resource} request and limit`);
        assert.ok(quantity(request) <= quantity(limit), `${name}: ${resource} request within the limit`);
      }
      const heap = /--max-old-space-size=(\d+)/.exec(c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '');
      assert.ok(heap, `${name}: NODE_OPTIONS caps the heap`);
      assert.ok(Number(heap[1]) * 2 ** 20 <= 0.8 * quantity(c.resources.limits!.memory!), `${name}: heap ${heap[1]}Mi leaves room under the limit`);
    }
  });

  it('serves the ports the configuration names and probes /livez and /readyz on the ops port', () => {
    for (const { name, objects } of renderings) {
      const config = configOf(objects) as unknown as Config;
      const c = gatewayContainer(workloadOf(objects));
      const port = (n: string) => c.ports.find((p) => p.name === n)?.containerPort;
      assert.equal(port('https'), config.listen.port, `${name}: https is listen.port`);
      assert.equal(port('ops'), config.ops.port, `${name}: ops is ops.port`);
      assert.equal(port('webhook'), config.webhook.enabled ? config.webhook.listen.port : undefined, `${name}: webhook is webhook.listen.port, when enabled`);
      assert.deepEqual(c.livenessProbe?.httpGet, { path: '/livez', port: 'ops' }, name);
      assert.deepEqual(c.startupProbe?.httpGet, { path: '/livez', port: 'ops' }, name);
      assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'ops' }, name);
    }
  });

  it('mounts the configuration and every file it names from whole directories, so hot reload sees changes', () => {
    for (const { name, objects } of renderings) {
      const workload = workloadOf(objects);
      const pod = workload.spec.template.spec;
      const c = gatewayContainer(workload);
      assert.ok(c.volumeMounts.every((m) => m.subPath === undefined), `${name}: no subPath mount (never updated in place)`);
      const mountFor = (file: string) => c.volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
      const configArg = c.args?.[c.args.indexOf('--config') + 1] ?? '';
      const configMount = mountFor(configArg);
      const configVolume = pod.volumes.find((v) => v.name === configMount?.name);
      assert.equal(configVolume?.configMap?.name, 'listgate-config', `${name}: --config ${configArg} is in the listgate-config ConfigMap`);
      assert.ok(configArg.endsWith('/listgate.yaml'), `${name}: the ConfigMap key listgate.yaml`);
      for (const file of namedFiles(configOf(objects) as unknown as Config)) {
        const fromAccount = file.startsWith(`${SERVICE_ACCOUNT_DIR}/`) && pod.automountServiceAccountToken !== false;
        assert.ok(fromAccount || mountFor(file), `${name}: ${file} is mounted`);
      }
    }
  });

  it('refers only to ConfigMaps and Secrets it renders or the operations guide tells operators to create', () => {
    for (const { name, objects } of renderings) {
      for (const volume of workloadOf(objects).spec.template.spec.volumes) {
        const ref = volume.configMap ? { kind: 'ConfigMap', name: volume.configMap.name } : volume.secret ? { kind: 'Secret', name: volume.secret.secretName } : undefined;
        if (!ref) continue;
        const rendered = objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name);
        const issued = objects.some((o) => o.kind === 'Certificate' && (o.spec as { secretName: string }).secretName === ref.name);
        assert.ok(rendered || issued || operations.includes(`\`${ref.name}\``), `${name}: ${ref.kind} ${ref.name} is rendered, issued, or its creation documented`);
      }
    }
  });

  it('drains within the termination grace period', () => {
    for (const { name, objects } of renderings) {
      const { shutdown } = configOf(objects) as unknown as Config;
      const drainMs = parseDuration(shutdown.readinessGracePeriod)! + parseDuration(shutdown.drainTimeout)!;
      assert.ok(drainMs < workloadOf(objects).spec.template.spec.terminationGracePeriodSeconds * 1000, name);
    }
  });

  it('wires the Services, the PodDisruptionBudget, the NetworkPolicy and the ServiceMonitor to its pods and ports', () => {
    for (const { name, objects } of renderings) {
      const workload = workloadOf(objects);
      const labels = workload.spec.template.metadata.labels;
      const portNames = gatewayContainer(workload).ports.map((p) => p.name);
      assert.ok(matches(workload.spec.selector.matchLabels, labels), `${name}: the workload selects its pods`);
      for (const service of objectsOf(objects, 'Service')) {
        const spec = service.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
        assert.ok(matches(spec.selector, labels), `${name}: Service ${service.metadata.name} selects the pods`);
        for (const p of spec.ports) assert.ok(portNames.includes(p.targetPort), `${name}: ${service.metadata.name} targets port ${p.targetPort}`);
      }
      const pdb = theObject(objects, 'PodDisruptionBudget').spec as { selector: { matchLabels: Record<string, string> } };
      assert.ok(matches(pdb.selector.matchLabels, labels), `${name}: the PodDisruptionBudget covers the pods`);
      const policy = theObject(objects, 'NetworkPolicy').spec as { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: string }[] }[] };
      assert.ok(matches(policy.podSelector.matchLabels, labels), `${name}: the NetworkPolicy applies to the pods`);
      const open = (configOf(objects) as unknown as Config).webhook.enabled ? ['https', 'ops', 'webhook'] : ['https', 'ops'];
      assert.deepEqual(policy.ingress.flatMap((r) => r.ports.map((p) => p.port)).sort(), open, `${name}: ingress to the gateway's ports only`);
      const monitor = theObject(objects, 'ServiceMonitor').spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
      const scraped = objectsOf(objects, 'Service').filter((s) => matches(monitor.selector.matchLabels, s.metadata.labels ?? {}));
      assert.deepEqual(scraped.map((s) => s.metadata.name), ['listgate-metrics'], `${name}: the ServiceMonitor scrapes the metrics Service only`);
      assert.deepEqual(monitor.endpoints.map((e) => [e.port, e.path]), [['ops', '/metrics']], name);
      assert.equal((scraped[0]!.spec as { publishNotReadyAddresses?: boolean }).publishNotReadyAddresses, true, `${name}: unready pods are scraped too`);
    }
  });

  it('keeps every namespaced object in the listgate namespace, running as its ServiceAccount, from a pinned image', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);
    for (const { name, objects } of renderings) {
      for (const o of objects) assert.equal(o.metadata.namespace, clusterScoped.has(o.kind) ? undefined : 'listgate', `${name}: ${o.kind} ${o.metadata.name}`);
      assert.equal(theObject(objects, 'Namespace').metadata.name, 'listgate');
      const image = gatewayContainer(workloadOf(objects)).image;
      assert.match(image, /^[a-z0-9.-]+\/[a-z0-9./-]+:[\w.-]+$/, `${name}: a registry, a repository and a tag`);
      assert.doesNotMatch(image, /:latest$/, name);
    }
  });

  it('runs in front of the apiserver Service as a Deployment, or beside each apiserver on the control-plane nodes', () => {
    for (const { name, overlay, objects } of renderings) {
      const workload = workloadOf(objects);
      const pod = workload.spec.template.spec;
      const enforce = theObject(objects, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce'];
      const upstream = (configOf(objects) as unknown as Config).upstream.server;
      if (overlay === 'in-front') {
        assert.equal(workload.kind, 'Deployment', name);
        assert.ok((workload.spec.replicas ?? 1) >= 2, `${name}: replicas for availability`);
        assert.equal(workload.spec.strategy?.rollingUpdate?.maxUnavailable, 0, `${name}: no capacity lost in a rollout`);
        assert.notEqual(pod.hostNetwork, true, name);
        assert.equal(enforce, 'restricted', `${name}: the namespace enforces the restricted Pod Security Standard`);
        assert.equal(upstream, 'https://kubernetes.default.svc:443', name);
      } else {
        assert.equal(workload.kind, 'DaemonSet', name);
        assert.equal(pod.hostNetwork, true, `${name}: reaches the apiserver on the node's loopback`);
        assert.deepEqual(pod.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' }, name);
        assert.equal(enforce, 'privileged', `${name}: hostNetwork needs the privileged Pod Security Standard`);
        assert.equal(upstream, 'https://127.0.0.1:6443', name);
      }
    }
  });
});
