/**
 * No caller can choose the identity the apiserver sees. In every identity mode, requests carrying
 * spoofed identity headers (X-Remote-*, the configured request-header names, in mixed case and
 * duplicated, and a second Authorization) go through the gateway to the simulator, which records the
 * raw headers it received and the identity it served: only the gateway's own identity headers arrive,
 * and the identity is the caller's. Ordinary requests and protocol upgrades alike. Impersonate-* where
 * the mode does not pass them on (impersonate, insecure) never arrive as the caller sent them.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { IdentityMode } from '../../src/config/config.js';
import { headerValues } from '../../src/gateway/raw-headers.js';
import { CREDENTIAL_ID_EXTRA, x509CredentialId } from '../../src/k8s/credential-id.js';
import type { SeenRequest } from '../../src/simulator/simulator.js';
import { TOKENS, startAuthStack, type AuthStack } from './support/auth-stack.js';

const CUSTOM = { usernameHeaders: ['X-Fwd-User'], groupHeaders: ['X-Fwd-Group'], uidHeaders: ['X-Fwd-Uid'], extraHeaderPrefixes: ['X-Fwd-Extra-'] };

const SPOOFED = [
  'X-Remote-User', 'admin',
  'x-remote-user', 'root',
  'X-REMOTE-GROUP', 'system:masters',
  'x-Remote-Group', 'system:masters',
  'X-Remote-Uid', 'uid-admin',
  'X-Remote-Extra-Scopes', 'all',
  'x-remote-extra-acme.com%2Fproject', 'stolen',
  'X-Fwd-User', 'admin',
  'x-fwd-user', 'root',
  'X-FWD-GROUP', 'system:masters',
  'x-fwd-uid', 'uid-admin',
  'X-Fwd-Extra-Scopes', 'all',
];

interface Case {
  name: string;
  mode: IdentityMode;
  requestHeader?: typeof CUSTOM;
  /** The identity headers the gateway itself sends (lower-cased names), and whom the upstream serves. */
  gatewaySets: [string, string][];
  servedAs: string;
}

/** jane's identity lines; the last one carries her certificate's credential id, as the apiserver would set it. */
const JANE_LINES = (user: string, group: string, extraPrefix: string, prefix = 'impersonate-'): [string, string][] =>
  prefix === 'impersonate-'
    ? [['impersonate-user', 'jane'], ['impersonate-group', 'developers'], ['impersonate-group', 'system:authenticated'], [`impersonate-extra-${CREDENTIAL_KEY}`, '']]
    : [[user, 'jane'], [group, 'developers'], [group, 'system:authenticated'], [`${extraPrefix}${CREDENTIAL_KEY}`, '']];
const CREDENTIAL_KEY = 'authentication.kubernetes.io%2fcredential-id';

const CASES: Case[] = [
  { name: 'requestHeader (default names)', mode: 'requestHeader', gatewaySets: JANE_LINES('x-remote-user', 'x-remote-group', 'x-remote-extra-', ''), servedAs: 'jane' },
  { name: 'requestHeader (custom names)', mode: 'requestHeader', requestHeader: CUSTOM, gatewaySets: JANE_LINES('x-fwd-user', 'x-fwd-group', 'x-fwd-extra-', ''), servedAs: 'jane' },
  { name: 'impersonate', mode: 'impersonate', gatewaySets: JANE_LINES('', '', ''), servedAs: 'jane' },
  { name: 'passthrough', mode: 'passthrough', gatewaySets: [], servedAs: 'ci-bot' },
  { name: 'insecure', mode: 'insecure', gatewaySets: [], servedAs: 'system:listgate' },
];

/**
 * The identity-carrying headers the upstream received, lower-cased names, in order: X-Remote-* and
 * Impersonate-* always, X-Fwd-* where they are the configured names (elsewhere they mean nothing to
 * the apiserver and pass like any header).
 */
function identityLines(seen: SeenRequest, custom = false): [string, string][] {
  const identity = custom ? /^(x-remote-|x-fwd-|impersonate-)/ : /^(x-remote-|impersonate-)/;
  const raw = seen.headers ?? [];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (identity.test(raw[i]!.toLowerCase())) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

for (const c of CASES) {
  describe(`spoofed identity headers: ${c.name}`, () => {
    let stack: AuthStack;
    before(async () => {
      // The simulator trusts the names the gateway sends, so a spoof that got through would count.
      stack = await startAuthStack({ mode: c.mode, ...(c.requestHeader ? { requestHeader: c.requestHeader } : {}) });
    });
    after(async () => stack?.close());

    // passthrough forwards bearer tokens only; the other modes get jane's certificate and a foreign token.
    const credentials = (): { cert?: AuthStack['shared']['pki']['user']; auth: string[] } =>
      c.mode === 'passthrough'
        ? { auth: ['Authorization', `Bearer ${TOKENS.bot}`, 'authorization', `Bearer ${TOKENS.jane}`] }
        : { cert: stack.shared.pki.user, auth: ['Authorization', `Bearer ${TOKENS.bot}`] };

    const check = (path: string, upgrade: boolean) => {
      const seen = stack.sim.stats.requests().filter((r) => r.path === path).at(-1);
      assert.ok(seen, `the upstream saw ${path}`);
      const credentialId = x509CredentialId(new X509Certificate(stack.shared.pki.user.certPem));
      const expected = c.gatewaySets.map(([name, value]): [string, string] => [name, name.endsWith(CREDENTIAL_KEY) ? credentialId : value]);
      assert.deepEqual(identityLines(seen, c.requestHeader !== undefined), expected, `identity headers at the upstream (${upgrade ? 'upgrade' : 'request'})`);
      assert.equal(seen.user, c.servedAs, 'the upstream served the real caller');
      assert.ok(!seen.groups.includes('system:masters') || c.mode === 'insecure', 'no spoofed group');
      const certificateCaller = c.gatewaySets.length > 0;
      assert.deepEqual(seen.extra, certificateCaller ? { [CREDENTIAL_ID_EXTRA]: [credentialId] } : undefined, 'no spoofed extra: only the credential id');
      const authorization = headerValues(seen.headers!, 'authorization');
      assert.deepEqual(authorization, c.mode === 'passthrough' ? [`Bearer ${TOKENS.bot}`] : [], 'Authorization at the upstream');
    };

    it('an ordinary request arrives with only the gateway identity headers', async () => {
      const { cert, auth } = credentials();
      const path = '/api/v1/namespaces/default/configmaps?spoof=1';
      const r = await stack.fetch(path, { ...(cert ? { cert } : {}), headers: [...SPOOFED, ...auth, 'Accept', 'application/json'] });
      assert.equal(r.status, 200, r.body);
      check(path, false);
    });

    it('a protocol upgrade arrives with only the gateway identity headers', async () => {
      const { cert, auth } = credentials();
      const path = '/api/v1/namespaces/default/configmaps?spoof=upgrade';
      const upgrade = ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Version', '13', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='];
      const r = await stack.fetch(path, { ...(cert ? { cert } : {}), headers: [...SPOOFED, ...auth, ...upgrade] });
      assert.equal(r.status, 400, 'the simulator refuses to upgrade a collection, after recording it');
      check(path, true);
    });
  });
}

describe('spoofed Impersonate-* where the mode does not pass them on', () => {
  for (const mode of ['impersonate', 'insecure'] as const) {
    it(`${mode}: a caller's Impersonate-* never reach the upstream as sent`, async () => {
      const stack = await startAuthStack({ mode });
      try {
        const path = '/api/v1/namespaces/default/secrets';
        const spoof = ['Impersonate-User', 'admin', 'impersonate-group', 'system:masters', 'IMPERSONATE-UID', 'u-1', 'Impersonate-Extra-Scopes', 'all'];
        const r = await stack.fetch(path, { cert: stack.shared.pki.user, headers: spoof });
        const seenHere = stack.sim.stats.requests().filter((q) => q.path === path);
        if (mode === 'insecure') {
          // Stripped before anything else: the request goes on as the gateway, with no Impersonate-* at all.
          assert.equal(r.status, 200, r.body);
          assert.deepEqual(identityLines(seenHere.at(-1)!), []);
          assert.equal(seenHere.at(-1)!.user, 'system:listgate');
        } else {
          // jane may not impersonate: the gateway's SubjectAccessReview says no, nothing goes upstream.
          assert.equal(r.status, 403);
          assert.equal(seenHere.length, 0, 'nothing reached the upstream');
          // An allowed caller's duplicates: the first Impersonate-User counts (as upstream), exactly one goes on.
          const ok = await stack.fetch(path, { cert: stack.shared.pki.admin, headers: ['Impersonate-User', 'bob', 'impersonate-user', 'eve'] });
          assert.equal(ok.status, 200, ok.body);
          const seen = stack.sim.stats.requests().filter((q) => q.path === path).at(-1)!;
          assert.deepEqual(identityLines(seen), [['impersonate-user', 'bob'], ['impersonate-group', 'system:authenticated']]);
          assert.equal(seen.user, 'bob');
        }
      } finally {
        await stack.close();
      }
    });
  }
});
