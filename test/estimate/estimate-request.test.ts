import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateRequest } from '../../src/estimate/estimate-list-memory.js';
import type { Estimate, EstimateClass } from '../../src/estimate/estimate-types.js';
import { resolveFactors } from '../../src/estimate/resolve-factors.js';
import { ACCEPT, createModels, inputOf } from './estimate-fixture.js';

/** 1000 secrets cluster-wide (metrics), 50 in `prod` (probe), 3 in `helm` (responses); 2000-byte secrets, 200 kB in helm. */
function world() {
  const m = createModels();
  m.census.observe({ group: '', resource: 'secrets', count: 1000, source: 'metrics' });
  m.census.observe({ group: '', resource: 'secrets', namespace: 'prod', count: 50, source: 'probe' });
  m.census.observe({ group: '', resource: 'secrets', namespace: 'helm', count: 3, source: 'response' });
  m.sizes.observe({ group: '', resource: 'secrets', bytes: 200_000, items: 100, encoding: 'json' });
  for (let i = 0; i < 3; i++) m.sizes.observe({ group: '', resource: 'secrets', namespace: 'helm', bytes: 600_000, items: 3, encoding: 'json' });
  for (let i = 0; i < 2; i++) {
    m.selectivity.observe({ group: '', resource: 'secrets', selectors: { labelSelector: `app=web-${i}` }, matched: 100, rangeCount: 1000 });
  }
  m.clock.advance(10_000);
  return m;
}

interface Case {
  name: string;
  method?: string;
  url: string;
  accept?: string;
  body?: number;
  version?: string;
  consistentReads?: 'cache' | 'etcd';
  cls: EstimateClass;
  source?: 'etcd' | 'cache';
  objects?: number;
  bytes?: number;
  reason: RegExp;
  check?: (e: Estimate) => void;
}

const RESPONSE_1000 = 128 + 1000 * 2000; // envelope + items
const CASES: Case[] = [
  {
    name: 'consistent list without limit: the whole collection from etcd at 4.5x',
    url: '/api/v1/secrets', cls: 'list', source: 'etcd', objects: 1000,
    bytes: Math.ceil(1000 * 2000 * (4.5 - 1.75) + RESPONSE_1000 * 1.75),
    reason: /consistent read without limit: the whole collection from etcd/,
    check: (e) => {
      assert.equal(e.responseBytes, RESPONSE_1000);
      assert.ok(Math.abs(e.factor - 4.5) < 0.001, `factor ${e.factor}`);
      assert.equal(e.countSource, 'metrics');
      assert.equal(e.countAgeSeconds, 10);
      assert.equal(e.sizeSource, 'resource');
    },
  },
  { name: 'resourceVersion=0: watch cache at 1.75x', url: '/api/v1/secrets?resourceVersion=0', cls: 'list', source: 'cache', objects: 1000, bytes: Math.ceil(RESPONSE_1000 * 1.75), reason: /resourceVersion=0: served from the watch cache/ },
  { name: 'resourceVersion=0 ignores limit', url: '/api/v1/secrets?resourceVersion=0&limit=10', cls: 'list', source: 'cache', objects: 1000, reason: /ignores limit and returns the whole collection/ },
  { name: 'limit: one page from etcd', url: '/api/v1/secrets?limit=100', cls: 'list', source: 'etcd', objects: 100, bytes: Math.ceil(100 * 2000 * 2.75 + (128 + 100 * 2000) * 1.75), reason: /limit=100: one page of 100 objects/ },
  { name: 'limit above the count: the count', url: '/api/v1/secrets?limit=5000', cls: 'list', source: 'etcd', objects: 1000, reason: /one page of 1000 objects/ },
  { name: 'continue: next page from etcd', url: '/api/v1/secrets?limit=100&continue=abc', cls: 'list', source: 'etcd', objects: 100, reason: /continue token: served from etcd/ },
  { name: 'resourceVersion=X without limit: cache', url: '/api/v1/secrets?resourceVersion=42', cls: 'list', source: 'cache', objects: 1000, reason: /resourceVersion=42 without limit: served from the watch cache/ },
  { name: 'Exact: etcd', url: '/api/v1/secrets?resourceVersion=42&resourceVersionMatch=Exact', cls: 'list', source: 'etcd', objects: 1000, reason: /Exact: served from etcd/ },
  { name: 'namespace with its own count', url: '/api/v1/namespaces/prod/secrets', cls: 'list', objects: 50, reason: /census: 50 objects \(probe/ },
  {
    name: 'namespace without a count: the cluster-wide count stands in',
    url: '/api/v1/namespaces/elsewhere/secrets', cls: 'list', objects: 1000, reason: /cluster-wide count is an upper bound/,
  },
  {
    name: 'namespace whose objects differ materially (Helm releases)',
    url: '/api/v1/namespaces/helm/secrets', cls: 'list', objects: 3, reason: /learned for this namespace, 3 samples/,
    check: (e) => {
      assert.equal(e.sizeSource, 'namespace');
      assert.equal(e.averageObjectBytes, 200_000);
    },
  },
  {
    name: 'selector, share not learned: the response priced as the range',
    url: '/api/v1/secrets?fieldSelector=type%3DOpaque', cls: 'list', source: 'etcd', objects: 1000, reason: /not learned yet; response priced as 1000 objects/,
    check: (e) => assert.equal(e.responseBytes, RESPONSE_1000),
  },
  {
    name: 'selector with a learned share: the range is read, the response is smaller',
    url: '/api/v1/secrets?labelSelector=app%3Dweb-7', cls: 'list', source: 'etcd', objects: 1000, reason: /learned share 10% \(2 samples\) → 100 objects/,
    check: (e) => {
      assert.equal(e.responseBytes, 128 + 100 * 2000);
      assert.equal(e.estimatedBytes, Math.ceil(1000 * 2000 * 2.75 + (128 + 100 * 2000) * 1.75));
    },
  },
  {
    name: 'protobuf: smaller response, protobuf factors',
    url: '/api/v1/secrets', accept: ACCEPT.protobuf, cls: 'list', source: 'etcd', objects: 1000, reason: /protobuf: 0.75 × the JSON size/,
    check: (e) => {
      assert.equal(e.responseBytes, Math.round(RESPONSE_1000 * 0.75));
      assert.ok(Math.abs(e.factor - 2.5) < 0.001, `factor ${e.factor}`);
    },
  },
  {
    name: 'Table: full objects loaded, rows in the response',
    url: '/api/v1/secrets', accept: ACCEPT.table, cls: 'list', source: 'etcd', objects: 1000, reason: /as=Table: the server loads full objects/,
    check: (e) => {
      assert.equal(e.responseBytes, 128 + 1000 * 1000);
      assert.equal(e.estimatedBytes, Math.ceil(1000 * 2000 * 2.75 + (128 + 1000 * 1000) * 1.75));
    },
  },
  { name: 'PartialObjectMetadataList', url: '/api/v1/secrets?resourceVersion=0', accept: ACCEPT.partial, cls: 'list', source: 'cache', reason: /as=PartialObjectMetadataList/, bytes: Math.ceil((128 + 1000 * 1000) * 1.75) },
  { name: 'plain watch: a constant', url: '/api/v1/secrets?watch=true', cls: 'watch', bytes: 64 * 1024, reason: /WATCH secrets/ },
  { name: 'streaming list: a constant', url: '/api/v1/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', cls: 'streaming-list', bytes: 256 * 1024, reason: /sendInitialEvents=true/ },
  { name: 'GET one object from etcd', url: '/api/v1/namespaces/prod/secrets/s1', cls: 'get', source: 'etcd', objects: 1, bytes: 2000 * 4.5, reason: /GET secrets s1: one object/ },
  { name: 'GET from the cache', url: '/api/v1/namespaces/prod/secrets/s1?resourceVersion=0', cls: 'get', source: 'cache', bytes: 2000 * 1.75, reason: /served from the watch cache/ },
  { name: 'create: the body amplified', method: 'POST', url: '/api/v1/namespaces/prod/secrets', body: 5000, cls: 'write', bytes: 20_000, reason: /request body 4.88 KiB/ },
  { name: 'patch without a known body: one object', method: 'PATCH', url: '/api/v1/namespaces/prod/secrets/s1', cls: 'write', bytes: 8000, reason: /body size unknown/ },
  { name: 'deletecollection: the whole range from etcd, limit or not', method: 'DELETE', url: '/api/v1/namespaces/prod/secrets?limit=5', cls: 'deletecollection', source: 'etcd', objects: 50, reason: /lists the whole range from etcd/ },
  { name: 'pod logs: a stream', url: '/api/v1/namespaces/prod/pods/p/log', cls: 'none', bytes: 0, reason: /a stream, not stored objects/ },
  { name: 'exec: a stream', method: 'POST', url: '/api/v1/namespaces/prod/pods/p/exec?command=ls', cls: 'none', bytes: 0, reason: /a stream/ },
  { name: 'discovery: not a resource request', url: '/apis', cls: 'none', bytes: 0, reason: /not a resource request/ },
  { name: '406: nothing acceptable', url: '/api/v1/secrets', accept: ACCEPT.html, cls: 'none', bytes: 0, reason: /answers 406/ },
  {
    name: 'unknown resource: conservative count and default size',
    url: '/apis/example.com/v1/widgets', cls: 'list', objects: 1000, reason: /count unknown; priced at the conservative 1000 objects/,
    check: (e) => {
      assert.equal(e.countSource, 'unknown');
      assert.equal(e.countAgeSeconds, Number.POSITIVE_INFINITY);
      assert.equal(e.sizeSource, 'default');
      assert.equal(e.averageObjectBytes, 16 * 1024);
    },
  },
  { name: '1.31: consistent list from the watch cache, where the upstream serves them so', version: 'v1.31.2', consistentReads: 'cache', url: '/api/v1/secrets', cls: 'list', source: 'cache', reason: /ConsistentListFromCache, seen on this upstream/ },
  { name: '1.31: consistent list from etcd on an etcd without progress notifications', version: 'v1.31.2', consistentReads: 'etcd', url: '/api/v1/secrets', cls: 'list', source: 'etcd', reason: /etcd without progress notifications/ },
  { name: '1.31: consistent list priced from etcd until the upstream shows otherwise', version: 'v1.31.2', url: '/api/v1/secrets', cls: 'list', source: 'etcd', reason: /until this upstream shows/ },
  { name: '1.31: a page still from etcd', version: '1.31', url: '/api/v1/secrets?limit=10', cls: 'list', source: 'etcd', objects: 10, reason: /served from etcd, one page/ },
  { name: '1.34: pages from cache snapshots', version: '1.34', url: '/api/v1/secrets?limit=10', cls: 'list', source: 'cache', objects: 10, reason: /KEP-4988/ },
];

describe('estimateRequest: one row per request class', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const m = world();
      const e = estimateRequest(inputOf(c.method ?? 'GET', c.url, c.accept, c.body), {
        census: m.census,
        sizes: m.sizes,
        selectivity: m.selectivity,
        // The 1.26 numbers unless a row names its version: the byte counts of the rows are written in them.
        factors: resolveFactors({}, c.version ?? '1.26'),
        ...(c.consistentReads ? { consistentReads: c.consistentReads } : {}),
      });
      assert.equal(e.class, c.cls, e.reasons.join('\n'));
      if (c.source) assert.equal(e.source, c.source);
      if (c.objects !== undefined) assert.equal(e.objects, c.objects, e.reasons.join('\n'));
      if (c.bytes !== undefined) assert.equal(e.estimatedBytes, c.bytes, e.reasons.join('\n'));
      assert.ok(e.reasons.some((r) => c.reason.test(r)), `no reason matches ${c.reason}:\n${e.reasons.join('\n')}`);
      c.check?.(e);
    });
  }
});

describe('estimateRequest: stale counts are priced conservatively', () => {
  it('multiplies a count older than staleAfter and says so', () => {
    const m = world();
    m.clock.advance(200_000); // past the 120 s staleAfter
    const e = estimateRequest(inputOf('GET', '/api/v1/secrets'), { census: m.census, sizes: m.sizes, factors: resolveFactors() });
    assert.equal(e.objects, 2000);
    assert.equal(e.countSource, 'metrics');
    assert.ok(e.reasons.some((r) => /stale count \(metrics, 3m30s old\) priced conservatively at 2000 objects/.test(r)), e.reasons.join('\n'));
  });
});

describe('estimateRequest: large responses on 1.31–1.32', () => {
  /** `count` Secrets of 1.2 MB (learned from a whole response), cluster-wide. */
  const big = (count: number) => {
    const m = createModels();
    m.census.observe({ group: '', resource: 'secrets', count, source: 'metrics' });
    m.sizes.observe({ group: '', resource: 'secrets', bytes: 12_000_000, items: 10, encoding: 'json' });
    m.clock.advance(1_000);
    return m;
  };
  const estimate = (count: number, url: string, factors = resolveFactors({}, '1.32')) => {
    const m = big(count);
    return estimateRequest(inputOf('GET', url), { census: m.census, sizes: m.sizes, factors, consistentReads: 'cache' });
  };

  it('prices up to 128 MiB at the factor, then less per byte, down to 0.82 of it from 320 MiB', () => {
    const small = estimate(100, '/api/v1/secrets?resourceVersion=0');
    assert.ok(Math.abs(small.factor - 2.4) < 0.001, `a 114 MiB LIST from the cache: ${small.factor}`);
    assert.ok(!small.reasons.some((r) => /large responses/.test(r)));
    const mid = estimate(200, '/api/v1/secrets?resourceVersion=0');
    assert.ok(mid.factor < 2.4 && mid.factor > 2.4 * 0.82, `a 229 MiB one: ${mid.factor}`);
    const large = estimate(406, '/api/v1/secrets?resourceVersion=0');
    assert.ok(Math.abs(large.factor - 2.4 * 0.82) < 0.001, `a 465 MiB one (held 1.94–1.96× on 1.32.6): ${large.factor}`);
    assert.ok(large.reasons.some((r) => /× 0\.82 \(large responses hold less per byte/.test(r)), large.reasons.join('\n'));
    const exact = estimate(406, '/api/v1/secrets?resourceVersion=5&resourceVersionMatch=Exact');
    assert.ok(Math.abs(exact.factor - 6.0 * 0.82) < 0.001, `a whole Exact read from etcd (held 4.56–5.11×): ${exact.factor}`);
    const page = estimate(406, '/api/v1/secrets?limit=100&continue=abc');
    assert.equal(page.source, 'etcd');
    assert.ok(Math.abs(page.factor - 6.0) < 0.01, `a continued 114 MiB page from etcd keeps the factor: ${page.factor}`);
  });

  it('leaves factors configured for a version (a calibrated profile) at every size, and the 1.26 profile too', () => {
    const configured = resolveFactors({ versions: { '1.32': { amplification: { json: { cache: 1.9 } } } } }, '1.32');
    assert.ok(Math.abs(estimate(406, '/api/v1/secrets?resourceVersion=0', configured).factor - 1.9) < 0.001);
    assert.ok(Math.abs(estimate(406, '/api/v1/secrets?resourceVersion=0', resolveFactors({}, '1.26')).factor - 1.75) < 0.001);
  });
});
