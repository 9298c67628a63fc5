/**
 * The pure identity-header rules: what each forwarding mode sends upstream (names, one line per group
 * and extra value, escaped extra keys, UTF-8 values), how a caller's Impersonate-* are read (upstream's
 * checks and groups), which incoming headers each mode strips, and the bearer-token rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerTokenOf } from '../../src/auth/authenticate-request.js';
import { forwardingHeaders, impersonationLines, requestHeaderLines } from '../../src/auth/forward-identity.js';
import { escapeExtraKey, unescapeExtraKey, UnsendableHeaderValueError } from '../../src/auth/header-text.js';
import { identityHeaderPredicate } from '../../src/auth/identity-header-policy.js';
import { readImpersonationRequest } from '../../src/auth/impersonation-request.js';
import type { UserInfo } from '../../src/auth/user-info.js';

const DEFAULT_NAMES = { usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], uidHeaders: ['X-Remote-Uid'], extraHeaderPrefixes: ['X-Remote-Extra-'] };
const JANE: UserInfo = { username: 'jane', uid: 'u-1', groups: ['developers', 'system:authenticated'], extra: { 'acme.com/project': ['blue', 'green'], scopes: ['read'] } };

describe('identity headers sent upstream', () => {
  it('requestHeader: the first configured names, one line per group and extra value, escaped keys', () => {
    assert.deepEqual(requestHeaderLines(JANE, DEFAULT_NAMES), [
      'X-Remote-User', 'jane',
      'X-Remote-Group', 'developers',
      'X-Remote-Group', 'system:authenticated',
      'X-Remote-Uid', 'u-1',
      'X-Remote-Extra-acme.com%2Fproject', 'blue',
      'X-Remote-Extra-acme.com%2Fproject', 'green',
      'X-Remote-Extra-scopes', 'read',
    ]);
    const custom = { usernameHeaders: ['X-Fwd-User', 'X-Other'], groupHeaders: [], uidHeaders: [], extraHeaderPrefixes: ['X-Fwd-Extra-'] };
    assert.deepEqual(requestHeaderLines({ ...JANE, extra: {} }, custom), ['X-Fwd-User', 'jane'], 'no group or uid header configured: none sent');
  });

  it('impersonate: Impersonate-User, -Group per group, -Uid, -Extra-<escaped key>', () => {
    assert.deepEqual(impersonationLines({ ...JANE, extra: { 'acme.com/project': ['blue'] } }), [
      'Impersonate-User', 'jane',
      'Impersonate-Group', 'developers',
      'Impersonate-Group', 'system:authenticated',
      'Impersonate-Uid', 'u-1',
      'Impersonate-Extra-acme.com%2Fproject', 'blue',
    ]);
  });

  it('passthrough forwards the authenticated token, insecure nothing', () => {
    const base = { user: JANE, names: DEFAULT_NAMES };
    assert.deepEqual(forwardingHeaders({ ...base, mode: 'passthrough', token: 'tok' }), ['Authorization', 'Bearer tok']);
    assert.deepEqual(forwardingHeaders({ ...base, mode: 'passthrough', token: undefined }), []);
    assert.deepEqual(forwardingHeaders({ ...base, mode: 'insecure', token: 'tok' }), []);
  });

  it('sends names as UTF-8 bytes and refuses control characters', () => {
    const [, value] = requestHeaderLines({ username: 'José', groups: [], extra: {} }, DEFAULT_NAMES);
    assert.deepEqual(Buffer.from(value!, 'latin1'), Buffer.from('José', 'utf8'));
    assert.throws(() => requestHeaderLines({ username: 'eve\r\nX-Remote-User: admin', groups: [], extra: {} }, DEFAULT_NAMES), UnsendableHeaderValueError);
  });

  it('escapes extra keys like client-go and unescapes them like the apiserver', () => {
    const rows: [string, string][] = [['scopes', 'scopes'], ['acme.com/project', 'acme.com%2Fproject'], ['100%', '100%25'], ['ключ', '%D0%BA%D0%BB%D1%8E%D1%87'], ['a b', 'a%20b']];
    for (const [key, escaped] of rows) {
      assert.equal(escapeExtraKey(key), escaped);
      assert.equal(unescapeExtraKey(escaped), key.toLowerCase());
    }
    assert.equal(unescapeExtraKey('Bad%zz'), 'bad%zz', 'malformed escapes are kept, lower-cased');
  });
});

describe("a caller's impersonation request (impersonate mode)", () => {
  const read = (raw: string[]) => readImpersonationRequest(raw);

  it('reads users, service accounts, groups, uid and extra with the checks the apiserver makes', () => {
    assert.deepEqual(read(['Accept', '*/*']), { kind: 'none' });
    assert.deepEqual(read(['Impersonate-User', '']), { kind: 'none' }, 'an empty user is no request');
    const user = read(['Impersonate-User', 'bob', 'Impersonate-Group', 'team-b', 'impersonate-group', 'qa', 'Impersonate-Uid', 'u-9', 'Impersonate-Extra-Acme.com%2FProject', 'x', 'impersonate-extra-acme.com%2fproject', 'y']);
    assert.equal(user.kind, 'impersonate');
    if (user.kind !== 'impersonate') return;
    assert.deepEqual(user.target, { username: 'bob', uid: 'u-9', groups: ['team-b', 'qa', 'system:authenticated'], extra: { 'acme.com/project': ['x', 'y'] } });
    assert.deepEqual(user.checks, [
      { group: '', resource: 'users', name: 'bob' },
      { group: '', resource: 'groups', name: 'team-b' },
      { group: '', resource: 'groups', name: 'qa' },
      { group: 'authentication.k8s.io', resource: 'uids', name: 'u-9' },
      { group: 'authentication.k8s.io', resource: 'userextras', subresource: 'acme.com/project', name: 'x' },
      { group: 'authentication.k8s.io', resource: 'userextras', subresource: 'acme.com/project', name: 'y' },
    ]);
  });

  it('gives service accounts and the anonymous user their groups, as upstream', () => {
    const sa = read(['Impersonate-User', 'system:serviceaccount:apps:builder']);
    assert.ok(sa.kind === 'impersonate');
    assert.deepEqual(sa.checks, [{ group: '', resource: 'serviceaccounts', namespace: 'apps', name: 'builder' }]);
    assert.deepEqual(sa.target.groups, ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated']);
    const anon = read(['Impersonate-User', 'system:anonymous']);
    assert.ok(anon.kind === 'impersonate');
    assert.deepEqual(anon.target.groups, ['system:unauthenticated']);
    const unauth = read(['Impersonate-User', 'bob', 'Impersonate-Group', 'system:unauthenticated']);
    assert.ok(unauth.kind === 'impersonate');
    assert.deepEqual(unauth.target.groups, ['system:unauthenticated'], 'no system:authenticated next to system:unauthenticated');
  });

  it('refuses groups, uid or extra without a user', () => {
    for (const raw of [['Impersonate-Group', 'system:masters'], ['Impersonate-Uid', 'u'], ['Impersonate-Extra-Scopes', 'all']]) {
      assert.equal(read(raw).kind, 'invalid', raw[0]);
    }
  });
});

describe('incoming identity headers stripped, per mode', () => {
  const names = { ...DEFAULT_NAMES, usernameHeaders: ['X-Fwd-User'], extraHeaderPrefixes: ['X-Fwd-Extra-'] };
  const rows: [string, boolean, boolean][] = [
    // name, stripped in requestHeader/passthrough, stripped in impersonate/insecure
    ['X-Remote-User', true, true], ['x-remote-group', true, true], ['X-REMOTE-UID', true, true], ['X-Remote-Extra-Scopes', true, true],
    ['X-Fwd-User', true, true], ['x-fwd-extra-foo', true, true], ['Impersonate-User', false, true], ['impersonate-extra-x', false, true],
    ['Authorization', false, false], ['X-Forwarded-User', false, false], ['Accept', false, false],
  ];
  for (const mode of ['requestHeader', 'passthrough', 'impersonate', 'insecure'] as const) {
    it(mode, () => {
      const strip = identityHeaderPredicate({ mode, names });
      const keepsImpersonation = mode === 'requestHeader' || mode === 'passthrough';
      for (const [name, inKeeping, inConsuming] of rows) assert.equal(strip(name), keepsImpersonation ? inKeeping : inConsuming, `${mode}: ${name}`);
    });
  }
});

describe('bearer tokens (bearertoken.go rules)', () => {
  const rows: [string[], string | undefined][] = [
    [['Authorization', 'Bearer abc.def'], 'abc.def'],
    [['authorization', 'bearer abc'], 'abc'],
    [['Authorization', '  Bearer abc  '], 'abc'],
    [['Authorization', 'Basic YWRtaW46cHc='], undefined],
    [['Authorization', 'Bearer'], undefined],
    [['Authorization', 'Bearer  abc'], undefined],
    [['Authorization', 'Bearer first', 'Authorization', 'Bearer second'], 'first'],
    [[], undefined],
  ];
  for (const [raw, token] of rows) it(`${JSON.stringify(raw)} → ${String(token)}`, () => assert.equal(bearerTokenOf(raw), token));
});
