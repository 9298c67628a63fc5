/** The pure mapping from errno and TLS errors to catalogue errors and Kubernetes Status. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, GatewayError, formatMessage } from '../../src/errors.js';
import { UpstreamConnectTimeoutError, upstreamFailure } from '../../src/gateway/upstream-failure.js';

const facts = { server: 'https://10.0.0.1:6443', connectTimeoutMs: 10_000 };
const errno = (code: string, message = `connect ${code} 10.0.0.1:6443`) => Object.assign(new Error(message), { code });

describe('upstreamFailure', () => {
  const rows: [string, Error, string, number, string][] = [
    ['refused', errno('ECONNREFUSED'), 'upstream_unreachable', 503, 'ServiceUnavailable'],
    ['no route', errno('EHOSTUNREACH'), 'upstream_unreachable', 503, 'ServiceUnavailable'],
    ['unknown host', errno('ENOTFOUND', 'getaddrinfo ENOTFOUND apiserver'), 'upstream_unreachable', 503, 'ServiceUnavailable'],
    ['reset before headers', errno('ECONNRESET', 'socket hang up'), 'upstream_reset', 503, 'ServiceUnavailable'],
    ['our connect timeout', new UpstreamConnectTimeoutError(10_000), 'upstream_connect_timeout', 504, 'Timeout'],
    ['kernel connect timeout', errno('ETIMEDOUT'), 'upstream_connect_timeout', 504, 'Timeout'],
    ['unknown CA', errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'upstream_tls_untrusted', 503, 'ServiceUnavailable'],
    ['self-signed', errno('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'upstream_tls_untrusted', 503, 'ServiceUnavailable'],
    ['expired', errno('CERT_HAS_EXPIRED', 'certificate has expired'), 'upstream_tls_expired', 503, 'ServiceUnavailable'],
    ['wrong host', errno('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'upstream_tls_hostname', 503, 'ServiceUnavailable'],
    ['handshake alert', errno('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'alert certificate required'), 'upstream_tls_handshake', 503, 'ServiceUnavailable'],
    ['no code', new Error('something odd'), 'upstream_failed', 503, 'ServiceUnavailable'],
    ['several addresses', new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')]), 'upstream_unreachable', 503, 'ServiceUnavailable'],
  ];
  for (const [name, err, code, httpStatus, reason] of rows) {
    it(`${name} → ${code} (${httpStatus} ${reason})`, () => {
      const failure = upstreamFailure(err, facts);
      assert.equal(failure.code, code);
      assert.equal(failure.cause, err);
      const status = failure.toStatus();
      assert.deepEqual([status.kind, status.status, status.code, status.reason], ['Status', 'Failure', httpStatus, reason]);
      assert.ok(status.message?.includes('https://10.0.0.1:6443'), status.message);
      assert.ok(!status.message?.includes('{'), `unfilled placeholder in: ${status.message}`);
    });
  }
  it('names the CA setting and the TLS reason for an untrusted certificate', () => {
    const msg = upstreamFailure(errno('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), facts).message;
    assert.match(msg, /SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain.*upstream\.caFile/);
  });
  it('names the timeout and its setting', () => {
    assert.match(upstreamFailure(new UpstreamConnectTimeoutError(10_000), facts).message, /within 10s.*upstream\.connectTimeout/);
  });
  it('passes a catalogue error through unchanged', () => {
    const original = new GatewayError('internal', { requestId: 'r' });
    assert.equal(upstreamFailure(original, facts), original);
  });
});

describe('error catalogue', () => {
  it('every entry has a status, a Kubernetes reason and a message', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(entry.status >= 400 && entry.status < 600, code);
      assert.ok(entry.reason.length > 0 && entry.message.length > 20, code);
    }
  });
  it('fills placeholders and leaves unknown ones visible', () => {
    assert.equal(formatMessage('a {x} b {y}', { x: 1 }), 'a 1 b {y}');
  });
});
