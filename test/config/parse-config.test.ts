/**
 * parseConfig: validation reports every problem with its key path at once, unknown keys and a missing
 * identity mode are refused, and a valid document is completed into a frozen, fully-defaulted Config.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ADMISSION } from '../../src/admit/admission-settings.js';
import { ConfigError, parseConfig, parseDuration, type ConfigIssue } from '../../src/config/config.js';

const VALID = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', clientCertFile: 'gateway.crt', clientKeyFile: 'gateway.key' },
  identity: { mode: 'insecure' },
};

function issuesOf(doc: unknown): ConfigIssue[] {
  try {
    parseConfig(doc, { baseDir: '/etc/listgate' });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail('expected the document to be refused');
}

const withUpstream = (upstream: Record<string, unknown>) => ({ ...VALID, upstream: { ...VALID.upstream, ...upstream } });

describe('parseConfig: errors', () => {
  it('reports every error with its path at once', () => {
    const issues = issuesOf({
      listen: { address: '', port: 70000 },
      tls: { certFile: 'serving.crt' },
      upstream: { server: 'http://127.0.0.1:6443', maxSockets: 0, maxLongRunning: 0, queueTimeout: '0s', protocol: 'h3', connectTimeout: 'soon', clientCertFile: 'gateway.crt' },
      ops: { port: 'eighty' },
      logging: { level: 'loud' },
    });
    assert.deepEqual(issues, [
      { path: 'listen.address', message: 'must not be empty' },
      { path: 'listen.port', message: 'must be at most 65535' },
      { path: 'tls.keyFile', message: 'required' },
      { path: 'upstream.server', message: 'must be an https URL' },
      { path: 'upstream.maxSockets', message: 'must be at least 1' },
      { path: 'upstream.maxLongRunning', message: 'must be at least 1' },
      { path: 'upstream.queueTimeout', message: 'must be a positive duration such as 10s, 500ms or 1m30s' },
      { path: 'upstream.protocol', message: 'must be one of: auto, http2, http1.1' },
      { path: 'upstream.connectTimeout', message: 'must be a positive duration such as 10s, 500ms or 1m30s' },
      { path: 'identity.mode', message: 'required (one of: requestHeader, impersonate, passthrough, insecure)' },
      { path: 'ops.port', message: 'must be a number' },
      { path: 'logging.level', message: 'must be one of: fatal, error, warn, info, debug, trace, silent' },
      { path: 'upstream.clientKeyFile', message: 'required when upstream.clientCertFile is set' },
    ]);
  });

  it('puts every issue in the error message, one per line', () => {
    try {
      parseConfig({ ...VALID, identity: {}, bogus: true }, { baseDir: '/' });
      assert.fail('refused expected');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^invalid configuration:\n {2}identity\.mode: required .*\n {2}bogus: unknown key$/);
    }
  });

  it('refuses unknown keys at every level', () => {
    const issues = issuesOf({ ...withUpstream({ caFiles: 'ca.crt' }), listen: { adress: '0.0.0.0' }, authn: {} });
    assert.deepEqual(
      issues.map((i) => `${i.path}: ${i.message}`).sort(),
      ['authn: unknown key', 'listen.adress: unknown key', 'upstream.caFiles: unknown key'],
    );
  });

  it('refuses a missing identity mode, whether the section is absent or empty', () => {
    const { identity: _identity, ...noIdentity } = VALID;
    assert.deepEqual(issuesOf(noIdentity), [{ path: 'identity.mode', message: 'required (one of: requestHeader, impersonate, passthrough, insecure)' }]);
    assert.deepEqual(issuesOf({ ...VALID, identity: {} }), [{ path: 'identity.mode', message: 'required (one of: requestHeader, impersonate, passthrough, insecure)' }]);
    assert.deepEqual(issuesOf({ ...VALID, identity: { mode: 'trusting' } }), [{ path: 'identity.mode', message: 'must be one of: requestHeader, impersonate, passthrough, insecure' }]);
  });

  it('requires the gateway credentials upstream, in pairs', () => {
    const none = { ...VALID, upstream: { server: 'https://10.0.0.1' } };
    assert.deepEqual(issuesOf(none), [
      { path: 'upstream', message: "needs the gateway's own credentials: clientCertFile and clientKeyFile, or tokenFile" },
    ]);
    assert.deepEqual(issuesOf({ ...VALID, upstream: { server: 'https://10.0.0.1', clientKeyFile: 'k' } }), [
      { path: 'upstream.clientCertFile', message: 'required when upstream.clientKeyFile is set' },
    ]);
  });

  const servers: [unknown, string][] = [
    ['not a url', 'must be an https URL such as https://127.0.0.1:6443'],
    ['http://10.0.0.1:6443', 'must be an https URL'],
    ['https://admin:pw@10.0.0.1:6443', 'must not contain user information'],
    ['https://10.0.0.1:6443/prefix', 'must be only scheme, host and port (no path, query or fragment)'],
    ['https://10.0.0.1:6443/?x=1', 'must be only scheme, host and port (no path, query or fragment)'],
    [6443, 'must be a string'],
  ];
  for (const [server, message] of servers) {
    it(`refuses upstream.server ${JSON.stringify(server)}`, () => {
      assert.deepEqual(issuesOf(withUpstream({ server })), [{ path: 'upstream.server', message }]);
    });
  }

  for (const doc of ['a string', ['a', 'list'], 42]) {
    it(`refuses a document that is not a mapping (${JSON.stringify(doc)})`, () => {
      assert.deepEqual(issuesOf(doc), [{ path: '<document>', message: 'must be a mapping' }]);
    });
  }
});

describe('parseConfig: completion', () => {
  it('fills every default and resolves relative paths against the base folder', () => {
    const config = parseConfig(VALID, { baseDir: '/etc/listgate' });
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      listen: { address: '127.0.0.1', port: 8443, headersTimeoutMs: 60_000, http2: true, http2MaxConcurrentStreams: 250 },
      tls: { certFile: '/etc/listgate/serving.crt', keyFile: '/etc/listgate/serving.key' },
      upstream: {
        server: 'https://127.0.0.1:6443',
        host: '127.0.0.1',
        port: 6443,
        clientCertFile: '/etc/listgate/gateway.crt',
        clientKeyFile: '/etc/listgate/gateway.key',
        maxSockets: 256,
        maxLongRunning: 16_384,
        queueTimeoutMs: 5_000,
        protocol: 'auto',
        connectTimeoutMs: 10_000,
      },
      authentication: {
        clientCAFiles: [],
        tokenReview: {
          enabled: true,
          audiences: [],
          cacheTtlMs: 10_000,
          negativeCacheTtlMs: 10_000,
          cacheSize: 10_000,
          timeoutMs: 10_000,
          limits: { concurrent: 32, perSecond: 200, perClientConcurrent: 4, perClientPerSecond: 20 },
        },
        anonymous: { enabled: false },
      },
      identity: {
        mode: 'insecure',
        requestHeader: {
          usernameHeaders: ['X-Remote-User'],
          groupHeaders: ['X-Remote-Group'],
          uidHeaders: ['X-Remote-Uid'],
          extraHeaderPrefixes: ['X-Remote-Extra-'],
        },
      },
      authorization: { enabled: true, cacheTtlMs: 10_000, cacheSize: 10_000, timeoutMs: 10_000 },
      ops: { address: '127.0.0.1', port: 8081 },
      logging: { level: 'info' },
      shutdown: { readinessGracePeriodMs: 5000, drainTimeoutMs: 20_000 },
      estimator: {
        factors: {
          versions: {},
          encodingRatio: { json: 1, yaml: 1, protobuf: 0.75, cbor: 0.9 },
          conversionRatio: { Table: 0.5, PartialObjectMetadata: 0.5 },
          listEnvelopeBytes: 128,
          watchBytes: 65_536,
          streamingListBytes: 262_144,
          writeAmplification: 4,
          defaultObjectBytes: 16_384,
        },
        census: {
          sources: ['metrics', 'probe', 'response'],
          refreshIntervalMs: 60_000,
          staleAfterMs: 300_000,
          unknownCount: 1000,
          staleMultiplier: 2,
          probes: { maxConcurrent: 2, minTimeMs: 100, queueLimit: 100 },
          storageEncoding: 'auto',
        },
        sizes: { seeds: [], alpha: 0.3, minNamespaceSamples: 3, materialDifference: 0.25, sampling: { enabled: true, items: 10, intervalMs: 600_000, waitMs: 5_000 } },
        uncertaintyMargin: 1.5,
      },
      admission: JSON.parse(JSON.stringify(DEFAULT_ADMISSION)),
      webhook: { enabled: false },
    });
    assert.equal(config.upstream.caFile, undefined);
    assert.equal(config.upstream.tokenFile, undefined);
  });

  it('keeps absolute paths and explicit values', () => {
    const config = parseConfig(
      {
        ...VALID,
        listen: { address: '0.0.0.0', port: 0, headersTimeout: '2s', http2: false, http2MaxConcurrentStreams: 16 },
        upstream: { server: 'https://[::1]', caFile: '/pki/ca.crt', tokenFile: 'token', maxSockets: 8, maxLongRunning: 20_000, queueTimeout: '250ms', protocol: 'http1.1', connectTimeout: '1m30s' },
        logging: { level: 'debug' },
      },
      { baseDir: '/srv' },
    );
    assert.deepEqual(config.listen, { address: '0.0.0.0', port: 0, headersTimeoutMs: 2000, http2: false, http2MaxConcurrentStreams: 16 });
    assert.equal(config.upstream.caFile, '/pki/ca.crt');
    assert.equal(config.upstream.tokenFile, '/srv/token');
    assert.deepEqual([config.upstream.server, config.upstream.host, config.upstream.port], ['https://[::1]', '::1', 443]);
    assert.deepEqual([config.upstream.maxSockets, config.upstream.maxLongRunning, config.upstream.queueTimeoutMs, config.upstream.protocol, config.upstream.connectTimeoutMs], [8, 20_000, 250, 'http1.1', 90_000]);
    assert.equal(config.logging.level, 'debug');
  });

  it('returns a deeply frozen Config', () => {
    const config = parseConfig(VALID, { baseDir: '/' });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.upstream) && Object.isFrozen(config.listen));
    assert.throws(() => {
      (config.upstream as { maxSockets: number }).maxSockets = 1;
    }, TypeError);
  });
});

describe('parseDuration', () => {
  const rows: [string, number | undefined][] = [
    ['10s', 10_000], ['500ms', 500], ['1m30s', 90_000], ['1.5h', 5_400_000], ['2h45m', 9_900_000], ['250us', 0.25], ['0', 0],
    ['10', undefined], ['ten seconds', undefined], ['-1s', undefined], ['', undefined], ['1d', undefined], ['s', undefined],
  ];
  for (const [text, ms] of rows) {
    it(`${JSON.stringify(text)} → ${String(ms)}`, () => assert.equal(parseDuration(text), ms));
  }
  it('refuses a zero connect timeout', () => {
    assert.deepEqual(issuesOf(withUpstream({ connectTimeout: '0s' })), [
      { path: 'upstream.connectTimeout', message: 'must be a positive duration such as 10s, 500ms or 1m30s' },
    ]);
  });
  it('takes shutdown durations, zero included, and refuses what is not a duration', () => {
    const config = parseConfig({ ...VALID, shutdown: { readinessGracePeriod: '0', drainTimeout: '1m' } }, { baseDir: '/' });
    assert.deepEqual(config.shutdown, { readinessGracePeriodMs: 0, drainTimeoutMs: 60_000 });
    assert.deepEqual(issuesOf({ ...VALID, shutdown: { drainTimeout: 'forever', grace: '1s' } }), [
      { path: 'shutdown.drainTimeout', message: 'must be a duration such as 5s, 500ms or 1m30s (0 allowed)' },
      { path: 'shutdown.grace', message: 'unknown key' },
    ]);
  });
});
