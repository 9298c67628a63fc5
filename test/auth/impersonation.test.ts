/**
 * `kubectl --as` through the gateway. In requestHeader and passthrough modes the caller's own
 * Impersonate-* go upstream and the apiserver decides against the real caller; in impersonate mode the
 * gateway decides with a SubjectAccessReview before impersonating (403 from the gateway, nothing sent
 * upstream); in insecure mode the headers are stripped (the apiserver sees the gateway, never a target
 * the gateway's privileges would reach). The simulator lets system:masters and `ci-bot` impersonate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IdentityMode } from '../../src/config/config.js';
import { headerValues } from '../../src/gateway/raw-headers.js';
import { startAuthStack, type AuthStack } from './support/auth-stack.js';

interface WhoAmI {
  code: number;
  stderr: string;
  user?: { username: string; groups: string[]; extra?: Record<string, string[]> };
}

async function whoami(stack: AuthStack, kubeconfig: string, extraArgs: string[]): Promise<WhoAmI> {
  const r = await stack.kubectl(kubeconfig, ['auth', 'whoami', '-o', 'json', ...extraArgs]);
  if (r.code !== 0) return { code: r.code, stderr: r.stderr };
  return { code: 0, stderr: r.stderr, user: (JSON.parse(r.stdout) as { status: { userInfo: WhoAmI['user'] } }).status.userInfo };
}

const WHOAMI_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const reviewsSeen = (stack: AuthStack) => stack.sim.stats.requests().filter((r) => r.path.startsWith(WHOAMI_PATH));
const namespacesSeen = (stack: AuthStack) => stack.sim.stats.requests().filter((r) => r.path.startsWith('/api/v1/namespaces'));

/**
 * A refusal as kubectl prints it: `get --raw` shows the Status message (`auth whoami` replaces it with
 * its own, and a typed `get` first fails discovery with "unknown", against a real apiserver too).
 */
const getNamespaces = (stack: AuthStack, kubeconfig: string, asArgs: string[]) => stack.kubectl(kubeconfig, ['get', '--raw', '/api/v1/namespaces', ...asArgs]);

function stackFor(mode: IdentityMode): { get: () => AuthStack } {
  let stack: AuthStack;
  before(async () => {
    stack = await startAuthStack({ mode, sim: { impersonators: ['ci-bot'] } });
  });
  after(async () => stack?.close());
  return { get: () => stack };
}

for (const mode of ['requestHeader', 'passthrough'] as const) {
  describe(`kubectl --as in ${mode} mode: the apiserver decides`, () => {
    const s = stackFor(mode);
    const allowed = mode === 'passthrough' ? 'bot' : 'admin';
    const refused = mode === 'passthrough' ? 'janeToken' : 'jane';

    it('works for a caller the apiserver lets impersonate', async () => {
      const r = await whoami(s.get(), s.get().kubeconfigs[allowed], ['--as=bob', '--as-group=team-b']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.user, { username: 'bob', groups: ['team-b', 'system:authenticated'] });
    });

    it('is refused with 403 by the apiserver for a caller it does not let impersonate', async () => {
      const r = await getNamespaces(s.get(), s.get().kubeconfigs[refused], ['--as=bob']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Forbidden.*users "bob" is forbidden: User "jane" cannot impersonate resource "users"/);
      const last = namespacesSeen(s.get()).at(-1)!;
      assert.deepEqual([last.user, last.code], ['jane', 403], 'the upstream judged the real caller');
    });
  });
}

describe('kubectl --as in impersonate mode: the gateway decides with a SubjectAccessReview', () => {
  const s = stackFor('impersonate');

  it('impersonates the target for a caller the SubjectAccessReview allows', async () => {
    const stack = s.get();
    const r = await whoami(stack, stack.kubeconfigs.admin, ['--as=bob', '--as-group=team-b', '--as-uid=uid-bob']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.user, { username: 'bob', uid: 'uid-bob', groups: ['team-b', 'system:authenticated'] });
    const seen = reviewsSeen(stack).at(-1)!;
    assert.deepEqual(headerValues(seen.headers!, 'impersonate-user'), ['bob'], 'exactly the gateway-set Impersonate-User');
    const sars = stack.sim.stats.requests().filter((q) => q.path.startsWith('/apis/authorization.k8s.io/v1/subjectaccessreviews'));
    assert.ok(sars.length >= 3, 'one SubjectAccessReview per user, group and uid');
    assert.ok(sars.every((q) => q.user === 'system:listgate'), 'made with the gateway credentials');
  });

  it('works for a configured impersonator with a bearer token', async () => {
    const r = await whoami(s.get(), s.get().kubeconfigs.bot, ['--as=system:serviceaccount:default:builder']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  });

  it('refuses a caller the SubjectAccessReview denies with 403, and sends nothing upstream', async () => {
    const stack = s.get();
    const before = namespacesSeen(stack).length;
    const r = await getNamespaces(stack, stack.kubeconfigs.jane, ['--as=bob']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Forbidden.*users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope/);
    assert.equal(namespacesSeen(stack).length, before, 'the refused request never reached the upstream');
    const raw = await stack.fetch(WHOAMI_PATH, { method: 'POST', cert: stack.shared.pki.user, headers: { 'Impersonate-User': 'bob', 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(raw.status, 403);
    assert.equal((raw.json as { reason: string }).reason, 'Forbidden');
  });

  it('refuses groups without a user with 400', async () => {
    const stack = s.get();
    const r = await stack.fetch('/api/v1/namespaces', { cert: stack.shared.pki.admin, headers: { 'Impersonate-Group': 'system:masters' } });
    assert.equal(r.status, 400);
    assert.match((r.json as { message: string }).message, /without impersonating a user/);
  });
});

describe('kubectl --as in insecure mode', () => {
  const s = stackFor('insecure');
  it('is stripped: the upstream sees the gateway and no Impersonate-* at all', async () => {
    const stack = s.get();
    const r = await whoami(stack, stack.kubeconfigs.jane, ['--as=bob', '--as-group=system:masters']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.user?.username, 'system:listgate');
    const seen = reviewsSeen(stack).at(-1)!;
    assert.deepEqual(seen.headers!.filter((_, i) => i % 2 === 0 && /^impersonate-/i.test(seen.headers![i]!)), []);
  });
});
