/**
 * Step 3 through the real gateway in front of the simulator: every request gets an estimate in its
 * context, and the request's log line carries it — a LIST (with the response expected and the one
 * observed), a GET, a watch, a streaming list, a write, a DELETECOLLECTION, and requests that load
 * nothing (discovery, logs). The estimate in the context is the one /debug/estimate gives for the same
 * request on the ops port (and only there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type LogRecord } from '../support/gateway-fixture.js';
import { completedLines, startWiringStack, type WiringStack } from './wiring-stack.js';

describe('estimate step: the estimate in the context and the log line, for every request class', () => {
  let stack: WiringStack;
  before(async () => {
    stack = await startWiringStack();
    await eventually(() => stack.censusRequests().includes('/metrics'), 5000, 'the first census scrape');
    await eventually(() => stack.logs.some((l) => l.msg === 'estimator factors chosen for the upstream version'), 5000, 'the upstream version');
  });
  after(async () => stack.close());

  /** Sends the request and resolves with its one `request completed` line. */
  const through = async (path: string, match: Record<string, unknown>, opts: Parameters<WiringStack['send']>[1] = {}) => {
    const res = await stack.send(path, opts);
    let lines: LogRecord[] = [];
    await eventually(() => (lines = completedLines(stack.logs, match)).length > 0, 3000, `the log line of ${path}`);
    assert.equal(lines.length, 1, `one line for ${path}`);
    return { res, line: lines[0]! };
  };

  it('a LIST: estimated bytes, expected and observed response bytes; the same estimate /debug/estimate gives', async () => {
    const path = '/api/v1/namespaces/ns-0/secrets';
    const debug = await stack.opsJson(`/debug/estimate?path=${encodeURIComponent(path)}`);
    assert.equal(debug.status, 200);
    const { res, line } = await through(path, { verb: 'list', resource: 'secrets', namespace: 'ns-0' });
    assert.equal(res.status, 200);
    assert.equal(line.kind, 'list');
    assert.equal(line.estimatedBytes, debug.json.estimatedBytes, 'the context carries the estimate the models give');
    assert.equal(line.estimatedResponseBytes, debug.json.responseBytes);
    assert.equal(line.observedResponseBytes, res.body.length, 'the whole body was measured on its way through');
    assert.equal(debug.json.class, 'list');
    assert.equal(debug.json.servedFrom, 'etcd');
  });

  it('a GET of one object and writes: one object, the body amplified', async () => {
    const get = await through('/api/v1/namespaces/ns-0/secrets/secret-1', { verb: 'get', resource: 'secrets', name: 'secret-1' });
    assert.equal(get.res.status, 200);
    assert.ok(Number(get.line.estimatedBytes) > 0, 'a GET holds one object');

    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'estimated' }, data: { k: 'v'.repeat(1000) } });
    const create = await through(
      '/api/v1/namespaces/ns-0/configmaps',
      { verb: 'create', resource: 'configmaps' },
      { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } },
    );
    assert.equal(create.res.status, 201);
    assert.equal(create.line.estimatedBytes, Math.ceil(Buffer.byteLength(body) * 4), 'the request body × the write amplification (4)');

    const deleteCollection = await through('/api/v1/namespaces/ns-1/configmaps?labelSelector=app%3Dnobody', { verb: 'deletecollection', resource: 'configmaps' }, { method: 'DELETE' });
    assert.equal(deleteCollection.res.status, 200);
    assert.ok(Number(deleteCollection.line.estimatedBytes) > 0, 'a DELETECOLLECTION lists the range from etcd first');
  });

  it('watches and streaming lists: their constants', async () => {
    const watch = await through('/api/v1/namespaces/ns-0/configmaps?watch=1&timeoutSeconds=1', { verb: 'watch', resource: 'configmaps', kind: 'watch' });
    assert.equal(watch.line.estimatedBytes, 64 * 1024);
    const streaming = await through(
      '/api/v1/namespaces/ns-1/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1',
      { verb: 'watch', resource: 'secrets', kind: 'streamingList' },
    );
    assert.equal(streaming.res.status, 200);
    assert.equal(streaming.line.estimatedBytes, 256 * 1024);
  });

  it('requests that load nothing from storage: 0 bytes, still estimated', async () => {
    const version = await through('/version', { verb: 'get', path: '/version' });
    assert.equal(version.line.estimatedBytes, 0);
    const log = await through('/api/v1/namespaces/ns-0/pods/pod-1/log', { resource: 'pods', subresource: 'log' });
    assert.equal(log.res.status, 200);
    assert.equal(log.line.estimatedBytes, 0);
    assert.equal(log.line.estimatedResponseBytes, undefined);
  });

  it('serves /debug/estimate on the ops port only, and refuses a request without a path', async () => {
    const onGateway = await stack.send('/debug/estimate?path=%2Fapi%2Fv1%2Fsecrets');
    assert.equal(onGateway.status, 404, 'the gateway port forwards it: the apiserver has no such path');
    const missing = await stack.opsJson('/debug/estimate');
    assert.equal(missing.status, 400);
    assert.match(String(missing.json.error), /path is required/);
  });
});
