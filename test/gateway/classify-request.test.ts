/**
 * classifyRequest, table-driven. The RequestInfo rows follow the test table of
 * k8s.io/apiserver/pkg/endpoints/request/requestinfo_test.go (TestGetAPIRequestInfo,
 * TestGetNonAPIRequestInfo, TestFieldSelectorParsing); the kind rows are listgate's own rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyRequest, RequestTargetError, type RequestKind } from '../../src/gateway/classify-request.js';

// method, url, verb, group, version, namespace, resource, subresource, name
type InfoRow = [string, string, string, string, string, string, string, string, string];
const RESOURCE_ROWS: InfoRow[] = [
  ['GET', '/api/v1/namespaces', 'list', '', 'v1', '', 'namespaces', '', ''],
  ['GET', '/api/v1/namespaces/other', 'get', '', 'v1', 'other', 'namespaces', '', 'other'],
  ['GET', '/api/v1/namespaces/other/pods', 'list', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/pods', 'list', '', 'v1', '', 'pods', '', ''],
  ['HEAD', '/api/v1/pods', 'list', '', 'v1', '', 'pods', '', ''],
  // special verbs
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo', 'proxy', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource', 'proxy', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/watch/pods', 'watch', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=true', 'watch', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=false', 'list', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', '', 'v1', 'other', 'pods', '', ''],
  // subresource identification
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', '', 'v1', 'other', 'pods', 'status', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath', 'get', '', 'v1', 'other', 'pods', 'proxy', 'foo'],
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', '', 'v1', 'other', 'namespaces', 'finalize', 'other'],
  ['PUT', '/api/v1/namespaces/other/status', 'update', '', 'v1', 'other', 'namespaces', 'status', 'other'],
  // verb identification
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', '', 'v1', 'other', 'pods', '', 'foo'],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', '', 'v1', 'other', 'pods', '', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods', 'create', '', 'v1', 'other', 'pods', '', ''],
  // deletecollection
  ['DELETE', '/api/v1/nodes', 'deletecollection', '', 'v1', '', 'nodes', '', ''],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', '', 'v1', '', 'namespaces', '', ''],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', '', 'v1', 'other', 'pods', '', ''],
  ['DELETE', '/apis/extensions/v1/namespaces/other/pods', 'deletecollection', 'extensions', 'v1', 'other', 'pods', '', ''],
  // group and version identification
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'extensions', 'v1', 'other', 'pods', '', ''],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'extensions', 'v1beta3', 'other', 'pods', '', ''],
  // field selectors: an exact metadata.name names the object of a list or watch
  ['GET', '/apis/group/version/resource', 'list', 'group', 'version', '', 'resource', '', ''],
  ['GET', '/apis/group/version/resource?fieldSelector=metadata.name=name1', 'list', 'group', 'version', '', 'resource', '', 'name1'],
  ['GET', '/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1', 'watch', 'group', 'version', '', 'resource', '', 'name1'],
  ['GET', '/apis/group/version/resource?fieldSelector=foo=bar', 'list', 'group', 'version', '', 'resource', '', ''],
  ['GET', '/apis/group/version/resource?fieldSelector=metadata.name=name1,foo', 'list', 'group', 'version', '', 'resource', '', ''],
  ['GET', '/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=true', 'watch', 'group', 'version', '', 'resource', '', ''],
  // metadata.name among other ANDed requirements still names the object (fields.RequiresExactMatch)
  ['GET', '/api/v1/pods?fieldSelector=spec.nodeName=n1,metadata.name=p1', 'list', '', 'v1', '', 'pods', '', 'p1'],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name!=p1', 'list', '', 'v1', '', 'pods', '', ''],
  // methods the apiserver has no verb for
  ['OPTIONS', '/api/v1/namespaces/other/pods', '', '', 'v1', 'other', 'pods', '', ''],
];

const NON_RESOURCE_PATHS = [
  '/', '/api', '/api/version', '/api/version/', '/apis/group/version/', '/apis/extensions/v1beta1',
  '/apis/extensions/v1beta1/', '/badprefix/version/resource', '/apis/version/resource', '/not-api/version/resource',
  '/version', '/healthz', '/openapi/v2', '/metrics',
];

describe('classifyRequest: RequestInfo rules', () => {
  for (const [method, url, verb, apiGroup, apiVersion, namespace, resource, subresource, name] of RESOURCE_ROWS) {
    it(`${method} ${url}`, () => {
      const { info } = classifyRequest(method, url, {});
      assert.equal(info.isResourceRequest, true);
      assert.deepEqual(
        { verb: info.verb, apiGroup: info.apiGroup, apiVersion: info.apiVersion, namespace: info.namespace, resource: info.resource, subresource: info.subresource, name: info.name },
        { verb, apiGroup, apiVersion, namespace, resource, subresource, name },
      );
    });
  }
  it('keeps the API prefix', () => {
    assert.equal(classifyRequest('GET', '/api/v1/pods', {}).info.apiPrefix, 'api');
    assert.equal(classifyRequest('GET', '/apis/apps/v1/deployments', {}).info.apiPrefix, 'apis');
  });
  it('treats simple groupless and grouped paths as resource requests', () => {
    for (const url of ['/api/version/resource', '/apis/group/version/resource/name/subresource', '/api/version/resource/name/subresource', '/apis/batch/v1/job', '/apis/batch/v1/job/foo', '/apis/batch/v1/job/foo/scale']) {
      assert.equal(classifyRequest('GET', url, {}).info.isResourceRequest, true, url);
    }
  });
  it('refuses a target that is not a path (an empty one cannot arrive over HTTP)', () => {
    assert.throws(() => classifyRequest('GET', '', {}), RequestTargetError);
  });
  for (const url of NON_RESOURCE_PATHS) {
    it(`non-resource: "${url}"`, () => {
      const c = classifyRequest('GET', url, {});
      assert.equal(c.info.isResourceRequest, false);
      assert.equal(c.info.verb, 'get');
      assert.equal(c.kind, 'nonResource');
    });
  }
});

// method, url, headers, kind
const KIND_ROWS: [string, string, Record<string, string>, RequestKind][] = [
  ['GET', '/api/v1/pods', {}, 'list'],
  ['GET', '/api/v1/namespaces/a/pods?limit=500', {}, 'list'],
  ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Dp', {}, 'list'],
  ['GET', '/api/v1/pods?watch=true', {}, 'watch'],
  ['GET', '/api/v1/watch/namespaces/a/pods', {}, 'watch'],
  ['GET', '/api/v1/pods?watch=true&sendInitialEvents=false', {}, 'watch'],
  ['GET', '/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', {}, 'streamingList'],
  ['GET', '/api/v1/watch/pods?sendInitialEvents=true', {}, 'streamingList'],
  ['GET', '/api/v1/namespaces/a/pods/p', {}, 'get'],
  ['GET', '/api/v1/namespaces/a/pods/p/status', {}, 'get'],
  ['GET', '/apis/apps/v1/namespaces/a/deployments/d/scale', {}, 'get'],
  ['POST', '/api/v1/namespaces/a/configmaps', {}, 'write'],
  ['PUT', '/api/v1/namespaces/a/configmaps/c', {}, 'write'],
  ['PATCH', '/apis/apps/v1/namespaces/a/deployments/d/status', {}, 'write'],
  ['DELETE', '/api/v1/namespaces/a/configmaps/c', {}, 'write'],
  ['DELETE', '/api/v1/namespaces/a/configmaps', {}, 'write'],
  ['POST', '/api/v1/namespaces/a/pods/p/eviction', {}, 'write'],
  ['POST', '/api/v1/namespaces/a/serviceaccounts/sa/token', {}, 'write'],
  ['GET', '/api/v1/namespaces/a/pods/p/log?follow=true', {}, 'log'],
  ['POST', '/api/v1/namespaces/a/pods/p/exec?command=ls&stdout=true', { connection: 'Upgrade', upgrade: 'SPDY/3.1' }, 'connect'],
  ['GET', '/api/v1/namespaces/a/pods/p/exec?command=ls', { connection: 'Upgrade', upgrade: 'websocket' }, 'connect'],
  ['POST', '/api/v1/namespaces/a/pods/p/attach', {}, 'connect'],
  ['POST', '/api/v1/namespaces/a/pods/p/portforward', {}, 'connect'],
  ['GET', '/api/v1/namespaces/a/services/s/proxy/metrics', {}, 'connect'],
  ['GET', '/api/v1/proxy/namespaces/a/pods/p', {}, 'connect'],
  ['GET', '/api/v1/pods?watch=true', { connection: 'keep-alive, Upgrade', upgrade: 'websocket' }, 'connect'],
  ['GET', '/apis/apps/v1', {}, 'nonResource'],
  ['GET', '/version', {}, 'nonResource'],
];

describe('classifyRequest: kinds', () => {
  for (const [method, url, headers, kind] of KIND_ROWS) {
    it(`${method} ${url} ${headers.upgrade ?? ''} → ${kind}`, () => {
      assert.equal(classifyRequest(method, url, headers).kind, kind);
    });
  }
  it('needs both Connection: Upgrade and an Upgrade header to call it an upgrade', () => {
    assert.equal(classifyRequest('GET', '/api/v1/pods', { upgrade: 'websocket' }).upgrade, false);
    assert.equal(classifyRequest('GET', '/api/v1/pods', { connection: 'upgrade' }).upgrade, false);
    assert.equal(classifyRequest('GET', '/api/v1/pods', { connection: 'Upgrade', upgrade: 'websocket' }).upgrade, true);
  });
});

describe('classifyRequest: read parameters and representation', () => {
  it('parses the list options of a LIST', () => {
    const c = classifyRequest('GET', '/api/v1/namespaces/a/secrets?limit=50&continue=abc&resourceVersion=0&resourceVersionMatch=NotOlderThan&labelSelector=app%3Dweb&fieldSelector=type%3DOpaque', {});
    assert.deepEqual(
      { ...c.listOptions },
      { watch: false, allowWatchBookmarks: false, limit: 50, continue: 'abc', resourceVersion: '0', resourceVersionMatch: 'NotOlderThan', labelSelector: 'app=web', fieldSelector: 'type=Opaque' },
    );
  });
  it('negotiates the representation from Accept', () => {
    const table = classifyRequest('GET', '/api/v1/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.deepEqual(table.representation, { encoding: 'json', as: 'Table', mediaType: 'application/json' });
    const proto = classifyRequest('GET', '/api/v1/pods', { accept: 'application/vnd.kubernetes.protobuf, application/json' });
    assert.equal(proto.representation?.encoding, 'protobuf');
    assert.deepEqual(classifyRequest('GET', '/api/v1/pods', {}).representation, { encoding: 'json', as: 'object', mediaType: 'application/json' });
    assert.equal(classifyRequest('GET', '/api/v1/pods', { accept: 'text/html' }).representation, undefined);
  });
  it('decodes the path as the apiserver does', () => {
    assert.equal(classifyRequest('GET', '/api/v1/namespaces/a/configmaps/my%2Dcm', {}).info.name, 'my-cm');
  });
});
