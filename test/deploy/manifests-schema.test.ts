/**
 * Every overlay renders with `kubectl kustomize`, and every object it renders — custom resources
 * included — is valid against the Kubernetes OpenAPI schemas: the compiled validators shipped by
 * kubernetes-models (types, required fields, enums, patterns) and, for what those let through, unknown
 * fields (strict field validation, as `kubectl apply` does).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { schemaProblems, unknownFieldProblems } from './support/openapi-validate.js';
import { renderAll, type Rendering } from './support/variants.js';

describe('deploy/ renders into valid Kubernetes objects', () => {
  let renderings: Rendering[];
  before(async () => {
    renderings = await renderAll();
  });

  it('renders both overlays and every documented variant, each a complete installation', () => {
    assert.deepEqual(
      renderings.map((r) => r.name),
      [
        'in-front',
        'control-plane',
        'in-front + requestHeader',
        'in-front + passthrough',
        'control-plane + impersonate',
        'in-front + cert-manager',
        'in-front + pod-routing',
        'in-front + pod-routing + cert-manager',
        'control-plane + pod-routing',
        'in-front + shared-budget',
      ],
    );
    for (const { name, objects } of renderings) {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor', 'PrometheusRule']) {
        assert.ok(kinds.has(kind), `${name}: renders a ${kind}`);
      }
      assert.ok(kinds.has('Deployment') !== kinds.has('DaemonSet'), `${name}: exactly one kind of workload`);
      const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      assert.equal(new Set(ids).size, ids.length, `${name}: no object twice`);
    }
    const certManager = renderings.find((r) => r.name.endsWith('cert-manager'))!;
    assert.ok(certManager.objects.some((o) => o.kind === 'Certificate'), 'the cert-manager variant renders a Certificate');
    const shared = renderings.find((r) => r.name.endsWith('shared-budget'))!;
    const policy = shared.objects.find((o) => o.kind === 'NetworkPolicy') as unknown as { spec: { egress: Array<{ ports?: Array<{ port: number | string }> }> } };
    assert.ok(policy.spec.egress.some((rule) => rule.ports?.some((p) => p.port === 6379)), 'the shared-budget variant lets the gateway reach Redis');
  });

  it('validates every object against the OpenAPI schemas (compiled validators)', () => {
    for (const { name, objects } of renderings) assert.deepEqual(schemaProblems(objects), [], name);
  });

  it('has no field the schemas do not declare', () => {
    const seen = new Set<string>();
    const unique = renderings.flatMap((r) => r.objects).filter((o) => {
      const key = JSON.stringify(o);
      return !seen.has(key) && seen.add(key);
    });
    assert.deepEqual(unknownFieldProblems(unique), []);
  });

  it('would catch a misspelt field, a wrong type and a kind without a schema (the checks can fail)', () => {
    const objects = structuredClone(renderings[0]!.objects);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    (container.securityContext as Record<string, unknown>).readOnlyRootFileSystem = true;
    (container.ports as Record<string, unknown>[])[0]!.containerPort = '8443';
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: Record<string, unknown>[] } };
    monitor.spec.endpoints[0]!.interval = 'thirty seconds';
    objects.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    const problems = schemaProblems(objects);
    assert.ok(problems.some((p) => p.includes('containerPort must be integer')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('endpoints/0/interval must match pattern')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('no schema for example.com/v1 Widget')), problems.join('\n'));
    const unknown = unknownFieldProblems(objects.filter((o) => o.kind !== 'Widget'));
    assert.ok(
      unknown.some((p) => p.startsWith('Deployment listgate/listgate: spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem:')),
      unknown.join('\n'),
    );
  });
});
