/**
 * `kubectl auth can-i` through the gateway, against a simulator with access rules: jane (client
 * certificate, group developers) may read pods and secrets in `default`; ci-bot (bearer token) may do
 * anything to deployments and their scale. SelfSubjectAccessReviews (sent as protobuf) answer yes or no
 * for the caller, `--list` lists the caller's rules (SelfSubjectRulesReview), and the same rules refuse
 * the requests themselves with the apiserver's Forbidden Status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';

describe('kubectl auth can-i through the gateway', () => {
  let stack: E2EStack;
  before(async () => {
    stack = await startE2EStack({
      access: [
        { groups: ['developers'], verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'secrets'], namespaces: ['default'] },
        { users: ['ci-bot'], verbs: ['*'], apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] },
      ],
    });
  });
  after(async () => stack?.close());

  const canI = (args: string[], kubeconfig?: string) => stack.kubectl(['auth', 'can-i', ...args], kubeconfig ? { kubeconfig } : {});

  it('answers yes for what jane may do, and no (exit 1) for what she may not', async () => {
    const yes = await canI(['list', 'secrets', '-n', 'default']);
    assert.deepEqual([yes.code, yes.stdout.trim()], [0, 'yes'], yes.stderr);
    for (const args of [['list', 'secrets', '-n', 'ns-0'], ['delete', 'pods', '-n', 'default'], ['list', 'secrets', '--all-namespaces'], ['get', 'deployments.apps', '-n', 'default']]) {
      const no = await canI(args);
      assert.deepEqual([no.code, no.stdout.trim()], [1, 'no'], `can-i ${args.join(' ')}: ${no.stderr}`);
    }
  });

  it('answers for the token user by its own rules, subresources included', async () => {
    const scale = await canI(['patch', 'deployments.apps', '--subresource=scale', '-n', 'ns-1'], stack.tokenKubeconfig);
    assert.deepEqual([scale.code, scale.stdout.trim()], [0, 'yes'], scale.stderr);
    const secrets = await canI(['get', 'secrets', '-n', 'default'], stack.tokenKubeconfig);
    assert.deepEqual([secrets.code, secrets.stdout.trim()], [1, 'no']);
  });

  it('lists jane\'s rules in a namespace with --list', async () => {
    const r = await canI(['--list', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(r.stdout, /^secrets\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(r.stdout, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    const elsewhere = await canI(['--list', '-n', 'ns-0']);
    assert.doesNotMatch(elsewhere.stdout, /^secrets\s/m);
  });

  it('refuses the requests the rules do not allow, with the apiserver\'s Forbidden message', async () => {
    const allowed = await stack.kubectl(['get', 'secrets', '-n', 'default', '-o', 'name']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const denied = await stack.kubectl(['get', 'secrets', '-n', 'ns-0']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Error from server \(Forbidden\): secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "ns-0"/);
    const scaled = await stack.kubectl(['scale', 'deployment/deploy-0', '-n', 'default', '--replicas=2'], { kubeconfig: stack.tokenKubeconfig });
    assert.equal(scaled.code, 0, scaled.stderr);
  });
});
