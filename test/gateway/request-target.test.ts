/**
 * parseRequestTarget, table-driven: the request target read the way kube-apiserver 1.32 reads it (rows
 * measured with `curl --path-as-is --request-target` on the real server), hostile forms refused, and
 * the origin-form target that is forwarded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestTarget, type TargetRefusal } from '../../src/k8s/request-target.js';

describe('parseRequestTarget: what the apiserver serves', () => {
  const served: [string, string, string, Record<string, string[]>][] = [
    // raw target, decoded path, forwarded target, query as read
    ['/api/v1/secrets', '/api/v1/secrets', '/api/v1/secrets', {}],
    ['https://evil/api/v1/secrets', '/api/v1/secrets', '/api/v1/secrets', {}],
    ['HTTPS://evil/api/v1/namespaces/other/secrets', '/api/v1/namespaces/other/secrets', '/api/v1/namespaces/other/secrets', {}],
    ['ftp://user@evil:99/api/v1/secrets?limit=1', '/api/v1/secrets', '/api/v1/secrets?limit=1', { limit: ['1'] }],
    ['https:/api/v1/secrets', '/api/v1/secrets', '/api/v1/secrets', {}],
    ['https://evil', '/', '/', {}],
    ['https://evil?limit=1', '/', '/?limit=1', { limit: ['1'] }],
    ['/api/v1/namespaces%2Fdefault%2Fsecrets', '/api/v1/namespaces/default/secrets', '/api/v1/namespaces/default/secrets', {}],
    ['/api/v1/namespaces/default%2fsecrets?limit=5', '/api/v1/namespaces/default/secrets', '/api/v1/namespaces/default/secrets?limit=5', { limit: ['5'] }],
    ['/api/v1/sec%72ets', '/api/v1/secrets', '/api/v1/sec%72ets', {}],
    ['/api/v1/secrets/', '/api/v1/secrets/', '/api/v1/secrets/', {}],
    ['/api/v1/secrets.', '/api/v1/secrets.', '/api/v1/secrets.', {}],
    ['/api/v1/namespaces/default./secrets', '/api/v1/namespaces/default./secrets', '/api/v1/namespaces/default./secrets', {}],
    ['/api/v1/namespaces/a/pods/p:80%2Fx/proxy', '/api/v1/namespaces/a/pods/p:80/x/proxy', '/api/v1/namespaces/a/pods/p:80/x/proxy', {}],
    ['/api/v1/secrets#frag', '/api/v1/secrets#frag', '/api/v1/secrets#frag', {}],
    ['/api/v1/a+b', '/api/v1/a+b', '/api/v1/a+b', {}],
    ['/', '/', '/', {}],
    // url.ParseQuery: a pair with `;` or a malformed escape is dropped, `+` is a space.
    ['/api/v1/secrets?limit=1;x=y', '/api/v1/secrets', '/api/v1/secrets', {}],
    ['/api/v1/secrets?x=y;z&limit=1', '/api/v1/secrets', '/api/v1/secrets?limit=1', { limit: ['1'] }],
    ['/api/v1/secrets?limit=%zz&limit=1', '/api/v1/secrets', '/api/v1/secrets?limit=1', { limit: ['1'] }],
    ['/api/v1/secrets?%6cimit=1&labelSelector=a+in+(b,c)', '/api/v1/secrets', '/api/v1/secrets?%6cimit=1&labelSelector=a+in+(b,c)', { limit: ['1'], labelSelector: ['a in (b,c)'] }],
    ['/api/v1/secrets?watch&limit=2&limit=3', '/api/v1/secrets', '/api/v1/secrets?watch&limit=2&limit=3', { watch: [''], limit: ['2', '3'] }],
    ['/api/v1/secrets?w=%20x;&labelSelector=a%3Db', '/api/v1/secrets', '/api/v1/secrets?labelSelector=a%3Db', { labelSelector: ['a=b'] }],
  ];
  for (const [raw, path, url, query] of served) {
    it(raw, () => {
      const read = parseRequestTarget(raw);
      assert.ok(read.ok, `${raw} is served`);
      assert.equal(read.target.path, path);
      assert.equal(read.target.url, url);
      const got: Record<string, string[]> = {};
      for (const key of new Set(read.target.query.keys())) got[key] = read.target.query.getAll(key);
      assert.deepEqual(got, query);
      // What is forwarded reads back as what was classified.
      const again = parseRequestTarget(read.target.url);
      assert.ok(again.ok);
      assert.equal(again.target.path, path);
      assert.equal(again.target.url, url);
    });
  }
});

describe('parseRequestTarget: refused', () => {
  const refused: [string, TargetRefusal][] = [
    ['/api/v1/namespaces/default/%2e%2e/%2e%2e/secrets', 'dot_segment'],
    ['/api/v1/namespaces/default/%2E%2e/%2e%2E/secrets', 'dot_segment'],
    ['/api/v1/namespaces/default/../../secrets', 'dot_segment'],
    ['/api/v1/./secrets', 'dot_segment'],
    ['/api/v1/%2e/secrets', 'dot_segment'],
    ['/api/v1/namespaces/./secrets', 'dot_segment'],
    ['/api/v1/namespaces/default/secrets/..', 'dot_segment'],
    ['/api/v1/namespaces/default/secrets/%2e%2e', 'dot_segment'],
    ['/api/v1/secrets/.', 'dot_segment'],
    ['/api/v1/namespaces/default/secrets/blob-0%2F..', 'dot_segment'],
    ['https://evil/api/v1/namespaces/x/../../secrets', 'dot_segment'],
    ['//api/v1/secrets', 'empty_segment'],
    ['/api//v1/secrets', 'empty_segment'],
    ['/api/v1//secrets', 'empty_segment'],
    ['/api/v1/secrets//', 'empty_segment'],
    ['/api/v1/namespaces%2F%2Fsecrets', 'empty_segment'],
    ['//evil/api/v1/secrets', 'empty_segment'],
    ['/api/v1/%zz', 'bad_escape'],
    ['/api/v1/secrets%2', 'bad_escape'],
    ['/api/v1/secrets%ff', 'not_utf8'],
    ['/api/v1/secrets?x=%ff', 'not_utf8'],
    ['*', 'not_a_path'],
    ['api/v1/secrets', 'not_a_path'],
    ['https:api/v1/secrets', 'not_a_path'],
    ['127.0.0.1:6443', 'not_a_path'],
  ];
  for (const [raw, refusal] of refused) {
    it(raw, () => {
      const read = parseRequestTarget(raw);
      assert.deepEqual(read, { ok: false, refusal });
    });
  }
});
