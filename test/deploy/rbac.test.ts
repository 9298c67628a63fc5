/**
 * RBAC grants the gateway's ServiceAccount exactly what the rendered configuration's identity mode
 * and census sources need — nothing else: no wildcard, no Secrets, no reads of objects — and the
 * identity component's mark on the pod agrees with the configuration's identity.mode.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { configOf, objectsOf, theObject, type KubeObject } from './support/kustomize.js';
import { grantsTo, neededGrants, type GatewayConfig } from './support/rbac-grants.js';
import { renderAll, type Rendering } from './support/variants.js';

function workloadOf(objects: readonly KubeObject[]) {
  return objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet') as unknown as KubeObject & {
    spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { serviceAccountName: string } } };
  };
}

describe('RBAC per identity mode', () => {
  let renderings: Rendering[];
  before(async () => {
    renderings = await renderAll();
  });

  it('grants exactly the verbs and resources the configured mode and census need', () => {
    const modes = new Set<string>();
    for (const { name, objects } of renderings) {
      const config = configOf(objects) as unknown as GatewayConfig;
      modes.add(config.identity.mode);
      const account = theObject(objects, 'ServiceAccount');
      assert.equal(workloadOf(objects).spec.template.spec.serviceAccountName, account.metadata.name, `${name}: the pod runs as the ServiceAccount`);
      const { grants } = grantsTo(objects, account.metadata.namespace!, account.metadata.name);
      assert.deepEqual([...grants].sort(), [...neededGrants(config)].sort(), `${name} (identity.mode ${config.identity.mode})`);
    }
    assert.deepEqual([...modes].sort(), ['impersonate', 'passthrough', 'requestHeader'], 'every deployable mode is checked');
  });

  it('never grants a wildcard, Secrets, reads of unnamed objects or a role nobody is bound to', () => {
    for (const { name, objects } of renderings) {
      const roles = [...objectsOf(objects, 'ClusterRole'), ...objectsOf(objects, 'Role')];
      const bound = new Set([...objectsOf(objects, 'ClusterRoleBinding'), ...objectsOf(objects, 'RoleBinding')].map((b) => (b as unknown as { roleRef: { name: string } }).roleRef.name));
      for (const role of roles) {
        assert.ok(bound.has(role.metadata.name), `${name}: ${role.kind} ${role.metadata.name} is bound`);
        for (const rule of (role as unknown as { rules: Record<string, string[] | undefined>[] }).rules) {
          const words = [...(rule.verbs ?? []), ...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.nonResourceURLs ?? [])];
          assert.ok(!words.some((w) => w.includes('*')), `${name}: ${role.metadata.name} has no wildcard`);
          assert.ok(!(rule.resources ?? []).includes('secrets'), `${name}: ${role.metadata.name} does not touch Secrets`);
          const reads = (rule.verbs ?? []).some((v) => ['get', 'list', 'watch'].includes(v)) && rule.resources !== undefined;
          assert.ok(!reads || (rule.resourceNames ?? []).length > 0, `${name}: ${role.metadata.name} reads only objects it names`);
        }
      }
    }
  });

  it('marks the pod with the identity mode its RBAC was rendered for, the same as the configuration', () => {
    for (const { name, objects } of renderings) {
      const annotations = workloadOf(objects).spec.template.metadata.annotations ?? {};
      assert.equal(annotations['listgate.io/identity-mode'], (configOf(objects) as unknown as GatewayConfig).identity.mode, name);
    }
  });

  it('would notice a mismatch: requestHeader RBAC with an impersonate configuration', () => {
    const objects = structuredClone(renderings.find((r) => r.name === 'control-plane')!.objects);
    const config = { ...configOf(objects), identity: { mode: 'impersonate' } } as unknown as GatewayConfig;
    const { grants } = grantsTo(objects, 'listgate', 'listgate');
    assert.notDeepEqual([...grants].sort(), [...neededGrants(config)].sort());
    assert.throws(() => neededGrants({ ...config, estimator: { census: { sources: ['probe'] } } }), /list on every resource/);
    const disabled = { ...config, identity: { mode: 'requestHeader' }, admission: { streamingLists: 'disabled' } };
    assert.ok(!neededGrants(disabled).has('watch core/namespaces[listgate-streaming-probe]'), 'no probe, no watch');
  });
});
