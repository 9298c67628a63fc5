import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readStorageMetrics, splitStorageResource } from '../../src/estimate/apiserver-metrics.js';
import { parseMetricsText } from '../../src/estimate/prometheus-text.js';

// As a 1.30 kube-apiserver writes them (component-base adds the stability level to HELP).
const APISERVER_1_30 = `# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.
# TYPE apiserver_storage_objects gauge
apiserver_storage_objects{resource="apiservices.apiregistration.k8s.io"} 24
apiserver_storage_objects{resource="deployments.apps"} 12
apiserver_storage_objects{resource="certificatesigningrequests.certificates.k8s.io"} -1
apiserver_storage_objects{resource="secrets"} 1234
# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="cluster",subresource="",verb="LIST",version="v1"} 7
apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",resource="secrets",scope="cluster",subresource="",verb="LIST",version="v1",le="+Inf"} 7
`;

// 1.34: the newer per-group metrics beside the deprecated one, and the size estimate.
const APISERVER_1_34 = `# HELP apiserver_resource_objects [ALPHA] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.
# TYPE apiserver_resource_objects gauge
apiserver_resource_objects{group="",resource="secrets"} 1240
apiserver_resource_objects{group="apps",resource="deployments"} 12
apiserver_resource_objects{group="example.com",resource="widgets"} 3
# HELP apiserver_resource_size_estimate_bytes [ALPHA] Estimated size of stored objects in database. Estimate is based on sum of last observed sizes of serialized objects. In case of a fetching error, the value will be -1.
# TYPE apiserver_resource_size_estimate_bytes gauge
apiserver_resource_size_estimate_bytes{group="",resource="secrets"} 2.48e+06
apiserver_resource_size_estimate_bytes{group="apps",resource="deployments"} -1
apiserver_resource_size_estimate_bytes{group="example.com",resource="widgets"} 3000
apiserver_storage_objects{resource="secrets"} 1234
`;

describe('Prometheus text parser', () => {
  it('reads names, escaped label values, exponents, infinities and timestamps; skips junk', () => {
    const { samples, skipped } = parseMetricsText(
      [
        '# a comment',
        'plain 3',
        'with_ts{a="x"} 1.5e3 1700000000000',
        'escaped{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",comma="x,y"} -2',
        'inf{le="+Inf"} +Inf',
        'nan NaN',
        '{broken="1"} 3',
        'novalue{a="b"}',
        '',
      ].join('\n'),
    );
    assert.equal(skipped, 2);
    assert.deepEqual(samples.map((s) => [s.name, s.value]), [['plain', 3], ['with_ts', 1500], ['escaped', -2], ['inf', Number.POSITIVE_INFINITY], ['nan', Number.NaN]]);
    assert.deepEqual(samples[2]!.labels, { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb', comma: 'x,y' });
  });
});

describe('apiserver storage metrics', () => {
  it('splits apiserver_storage_objects resource labels into group and resource', () => {
    assert.deepEqual(splitStorageResource('certificatesigningrequests.certificates.k8s.io'), { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' });
    assert.deepEqual(splitStorageResource('secrets'), { group: '', resource: 'secrets' });
  });

  it('reads counts from a 1.30 apiserver and skips -1 (fetch errors)', () => {
    const { counts, sizes } = readStorageMetrics(parseMetricsText(APISERVER_1_30).samples);
    const byKey = Object.fromEntries(counts.map((c) => [`${c.group}/${c.resource}`, c.count]));
    assert.deepEqual(byKey, { 'apiregistration.k8s.io/apiservices': 24, 'apps/deployments': 12, '/secrets': 1234 });
    assert.deepEqual(sizes, []);
  });

  it('prefers apiserver_resource_objects and pairs the size estimate with it on 1.34', () => {
    const { counts, sizes } = readStorageMetrics(parseMetricsText(APISERVER_1_34).samples);
    assert.equal(counts.find((c) => c.resource === 'secrets')?.count, 1240);
    assert.deepEqual(sizes, [
      { group: '', resource: 'secrets', objects: 1240, bytes: 2_480_000 },
      { group: 'example.com', resource: 'widgets', objects: 3, bytes: 3000 },
    ]);
  });
});
