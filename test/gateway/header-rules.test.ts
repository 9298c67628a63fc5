/**
 * The pure header rules: identity headers, hop-by-hop headers (RFC 9110 §7.6.1), the upstream header set
 * per identity mode, and the relayed response headers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { removeHopByHopHeaders } from '../../src/gateway/hop-by-hop.js';
import { isIdentityHeader, scrubIdentityHeaders, stripIdentityHeaders } from '../../src/gateway/identity-headers.js';
import { headerValue, headerValues } from '../../src/gateway/raw-headers.js';
import { buildResponseHeaders, buildUpstreamHeaders } from '../../src/gateway/upstream-headers.js';

const names = (raw: readonly string[]) => raw.filter((_, i) => i % 2 === 0);

describe('identity headers', () => {
  const cases: [string, boolean][] = [
    ['Impersonate-User', true], ['impersonate-group', true], ['IMPERSONATE-UID', true], ['Impersonate-Extra-Scopes', true],
    ['X-Remote-User', true], ['x-remote-group', true], ['X-Remote-Uid', true], ['X-Remote-Extra-Acme.Com%2Fproject', true],
    ['X-Remote-Addr', false], ['Authorization', false], ['X-Impersonate-User', false], ['Accept', false],
  ];
  for (const [name, identity] of cases) {
    it(`${name} is ${identity ? '' : 'not '}an identity header`, () => assert.equal(isIdentityHeader(name), identity));
  }
  it('removes every duplicate from a raw list and from a parsed header object', () => {
    const raw = ['X-Remote-User', 'a', 'Accept', '*/*', 'x-remote-user', 'b', 'Impersonate-Group', 'g', 'impersonate-group', 'h'];
    assert.deepEqual(stripIdentityHeaders(raw), ['Accept', '*/*']);
    const parsed: Record<string, string | string[]> = { 'x-remote-user': 'a, b', 'impersonate-group': ['g', 'h'], accept: '*/*' };
    scrubIdentityHeaders(parsed);
    assert.deepEqual(parsed, { accept: '*/*' });
  });
});

describe('hop-by-hop headers', () => {
  it('removes the fixed set and every header named in Connection', () => {
    const raw = [
      'Connection', 'keep-alive, X-Foo', 'connection', 'X-Bar', 'X-Foo', '1', 'X-Bar', '2', 'Keep-Alive', 'timeout=5',
      'Proxy-Connection', 'keep-alive', 'Proxy-Authenticate', 'Basic', 'Proxy-Authorization', 'Basic x', 'TE', 'trailers',
      'Trailer', 'Expires', 'Transfer-Encoding', 'chunked', 'Upgrade', 'websocket', 'Content-Type', 'application/json',
      'Content-Length', '2', 'Warning', 'w1', 'Warning', 'w2',
    ];
    assert.deepEqual(removeHopByHopHeaders(raw), ['Content-Type', 'application/json', 'Content-Length', '2', 'Warning', 'w1', 'Warning', 'w2']);
  });
  it('keeps Upgrade and a single Connection: Upgrade for a protocol switch', () => {
    const raw = ['Connection', 'Upgrade, X-Foo', 'Upgrade', 'SPDY/3.1', 'X-Foo', 'drop', 'X-Stream-Protocol-Version', 'v4.channel.k8s.io'];
    const out = removeHopByHopHeaders(raw, { keepUpgrade: true });
    assert.deepEqual(out, ['Upgrade', 'SPDY/3.1', 'X-Stream-Protocol-Version', 'v4.channel.k8s.io', 'Connection', 'Upgrade']);
  });
});

describe('upstream request headers', () => {
  const base = { identityMode: 'insecure' as const, upstreamHost: '10.0.0.1:6443', clientAddress: '192.0.2.7', requestId: 'rid-1', upgrade: false };
  const incoming = ['Host', 'gw.example:8443', 'Authorization', 'Bearer caller', 'Accept', 'application/json', 'Audit-ID', 'spoof', 'X-Forwarded-Proto', 'http'];

  it('in insecure mode drops the caller Authorization; with a token sends the gateway token', () => {
    const withCert = buildUpstreamHeaders(incoming, { ...base, token: undefined });
    assert.equal(headerValue(withCert, 'authorization'), undefined);
    const withToken = buildUpstreamHeaders(incoming, { ...base, token: 'gw-token' });
    assert.deepEqual(headerValues(withToken, 'authorization'), ['Bearer gw-token']);
  });
  it('sets Host, X-Forwarded-* and Audit-ID exactly once each', () => {
    const out = buildUpstreamHeaders(incoming, { ...base, token: undefined });
    for (const name of ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'audit-id']) {
      assert.equal(headerValues(out, name).length, 1, name);
    }
    assert.equal(headerValue(out, 'host'), '10.0.0.1:6443');
    assert.equal(headerValue(out, 'x-forwarded-for'), '192.0.2.7');
    assert.equal(headerValue(out, 'x-forwarded-proto'), 'https');
    assert.equal(headerValue(out, 'x-forwarded-host'), 'gw.example:8443');
    assert.equal(headerValue(out, 'audit-id'), 'rid-1');
    assert.equal(headerValue(out, 'accept'), 'application/json');
  });
  it('keeps the upgrade headers only for upgrades', () => {
    const up = ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'];
    assert.deepEqual(names(buildUpstreamHeaders(up, { ...base, token: undefined, upgrade: false })).includes('Upgrade'), false);
    const kept = buildUpstreamHeaders(up, { ...base, token: undefined, upgrade: true });
    assert.equal(headerValue(kept, 'upgrade'), 'websocket');
    assert.equal(headerValue(kept, 'connection'), 'Upgrade');
    assert.equal(headerValue(kept, 'sec-websocket-key'), 'k');
  });
});

describe('relayed response headers', () => {
  it('removes hop-by-hop headers and adds the request id only when the upstream sent no Audit-Id', () => {
    const fromUpstream = ['Content-Type', 'application/json', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5'];
    assert.deepEqual(buildResponseHeaders(fromUpstream, 'rid'), ['Content-Type', 'application/json', 'Audit-Id', 'rid']);
    assert.deepEqual(buildResponseHeaders(['Audit-Id', 'theirs'], 'rid'), ['Audit-Id', 'theirs']);
  });
});
