/**
 * Real clients through the gateway in each identity mode, against the simulator: kubectl with a client
 * certificate, kubectl with a bearer token, and @kubernetes/client-node with each, and what the upstream
 * served every request as (its request log) and what `kubectl auth whoami` prints. passthrough takes
 * bearer tokens only; insecure (dev only) reaches the upstream as the gateway itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { IdentityMode } from '../../src/config/config.js';
import type { SeenRequest } from '../../src/simulator/simulator.js';
import { startAuthStack, type AuthStack } from './support/auth-stack.js';

interface Expected {
  user: string;
  groups: string[];
  uid?: string;
}

const JANE: Expected = { user: 'jane', groups: ['developers', 'system:authenticated'] };
const BOT: Expected = { user: 'ci-bot', groups: ['ci', 'system:authenticated'], uid: 'uid-ci-bot' };
const GATEWAY: Expected = { user: 'system:listgate', groups: ['system:masters', 'system:authenticated'] };

/** The upstream's record of the last request on `path` (TokenReviews and other paths skipped). */
function lastSeen(stack: AuthStack, path: string): SeenRequest {
  const found = stack.sim.stats.requests().filter((r) => r.path.split('?')[0] === path).at(-1);
  assert.ok(found, `the upstream saw no request for ${path}`);
  return found;
}

function assertIdentity(seen: SeenRequest, expected: Expected, what: string): void {
  assert.deepEqual({ user: seen.user, groups: seen.groups, ...(seen.uid ? { uid: seen.uid } : {}) }, expected, what);
}

const MODES: { mode: IdentityMode; cert: Expected | 'refused'; token: Expected }[] = [
  { mode: 'requestHeader', cert: JANE, token: BOT },
  { mode: 'impersonate', cert: JANE, token: BOT },
  { mode: 'passthrough', cert: 'refused', token: BOT },
  { mode: 'insecure', cert: GATEWAY, token: GATEWAY },
];

for (const { mode, cert, token } of MODES) {
  describe(`identity.mode ${mode}`, () => {
    let stack: AuthStack;
    before(async () => {
      stack = await startAuthStack({ mode });
    });
    after(async () => stack?.close());

    it(`kubectl with a client certificate ${cert === 'refused' ? 'is refused with 401' : 'works'}`, async () => {
      const r = await stack.kubectl(stack.kubeconfigs.jane, ['get', 'namespaces', '-o', 'name']);
      if (cert === 'refused') {
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Unauthorized|must be logged in/);
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /namespace\/default/);
      assertIdentity(lastSeen(stack, '/api/v1/namespaces'), cert, 'what the upstream served kubectl (certificate) as');
    });

    it('kubectl with a bearer token works', async () => {
      const r = await stack.kubectl(stack.kubeconfigs.bot, ['get', 'secrets', '-A', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, 3);
      assertIdentity(lastSeen(stack, '/api/v1/secrets'), token, 'what the upstream served kubectl (token) as');
    });

    it('kubectl auth whoami shows the identity the upstream served', async () => {
      const kubeconfig = cert === 'refused' ? stack.kubeconfigs.bot : stack.kubeconfigs.jane;
      const expected = cert === 'refused' ? token : cert;
      const r = await stack.kubectl(kubeconfig, ['auth', 'whoami', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const info = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; groups: string[]; uid?: string } } }).status.userInfo;
      assert.deepEqual({ user: info.username, groups: info.groups, ...(info.uid ? { uid: info.uid } : {}) }, expected);
    });

    it('@kubernetes/client-node works with a token and with a certificate', async () => {
      const client = (kubeconfig: string) => {
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(kubeconfig);
        return kc.makeApiClient(k8s.CoreV1Api);
      };
      const list = await client(stack.kubeconfigs.bot).listNamespacedConfigMap({ namespace: 'default' });
      assert.ok(list.items.length >= 1);
      assertIdentity(lastSeen(stack, '/api/v1/namespaces/default/configmaps'), token, 'client-node (token)');
      if (cert === 'refused') {
        await assert.rejects(client(stack.kubeconfigs.jane).listNamespace(), (err: { code?: number }) => err.code === 401);
      } else {
        await client(stack.kubeconfigs.jane).listNamespacedPod({ namespace: 'default' });
        assertIdentity(lastSeen(stack, '/api/v1/namespaces/default/pods'), cert, 'client-node (certificate)');
      }
    });
  });
}
