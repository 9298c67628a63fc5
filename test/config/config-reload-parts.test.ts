/**
 * The pure parts of hot reload: which keys a new document changes (and which need a restart), which
 * files a Config names, and the ConfigSource that components read or subscribe to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/config.js';
import { createConfigSource, type ConfigSnapshot } from '../../src/config/config-source.js';
import { changedPaths, restartRequired } from '../../src/config/diff-config.js';
import { namedFiles } from '../../src/config/named-files.js';

describe('changedPaths', () => {
  const rows: [string, unknown, unknown, string[]][] = [
    ['equal documents', { a: { b: 1 }, c: [1, 2] }, { a: { b: 1 }, c: [1, 2] }, []],
    ['a changed leaf', { a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }, ['a.c']],
    ['an added and a removed key', { a: 1 }, { b: 2 }, ['a', 'b']],
    ['array elements by index', { l: ['x', 'y'] }, { l: ['x', 'z', 'w'] }, ['l[1]', 'l[2]']],
    ['a section replaced by a scalar', { s: { k: 1 } }, { s: 'off' }, ['s']],
    ['undefined and absent are the same', { a: undefined }, {}, []],
    ['nested sorted', { z: { y: 1, x: 1 }, a: 1 }, { z: { y: 2, x: 2 }, a: 2 }, ['a', 'z.x', 'z.y']],
  ];
  for (const [name, previous, next, expected] of rows) {
    it(name, () => assert.deepEqual(changedPaths(previous, next), expected));
  }

  it('flags listen and ops changes as needing a restart, and nothing else', () => {
    assert.deepEqual(
      restartRequired(['listen.port', 'logging.level', 'ops.address', 'upstream.server', 'listener', 'operations.x']),
      ['listen.port', 'ops.address'],
    );
  });
});

const DOC = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', caFile: '/pki/ca.crt', clientCertFile: 'gw.crt', clientKeyFile: 'gw.key', tokenFile: 'token' },
  authentication: { clientCAFiles: ['clients-a.crt', 'clients-b.crt'] },
  identity: { mode: 'insecure' },
};

describe('namedFiles', () => {
  it('lists every file the config names, resolved, once each', () => {
    const config = parseConfig(DOC, { baseDir: '/etc/listgate' });
    assert.deepEqual(namedFiles(config).sort(), [
      '/etc/listgate/clients-a.crt',
      '/etc/listgate/clients-b.crt',
      '/etc/listgate/gw.crt',
      '/etc/listgate/gw.key',
      '/etc/listgate/serving.crt',
      '/etc/listgate/serving.key',
      '/etc/listgate/token',
      '/pki/ca.crt',
    ]);
  });
});

describe('ConfigSource', () => {
  const snapshot = (level: string): ConfigSnapshot => ({
    config: parseConfig({ ...DOC, logging: { level } }, { baseDir: '/' }),
    files: { serving: { cert: 'c', key: 'k' }, upstream: { ca: undefined, cert: undefined, key: undefined, token: undefined } },
    auth: { clientCAs: [], clientCAPems: [], frontProxy: undefined },
  });

  it('serves the current config and tells subscribers, in order, after it is current', () => {
    const source = createConfigSource(snapshot('info'));
    const seen: string[] = [];
    source.subscribe((next, previous) => seen.push(`a:${previous.config.logging.level}->${next.config.logging.level}:${source.current().logging.level}`));
    const unsubscribe = source.subscribe((next) => seen.push(`b:${next.config.logging.level}`));
    assert.deepEqual(source.publish(snapshot('debug')), []);
    unsubscribe();
    source.publish(snapshot('warn'));
    assert.equal(source.current().logging.level, 'warn');
    assert.deepEqual(seen, ['a:info->debug:debug', 'b:debug', 'a:debug->warn:warn']);
  });

  it('keeps calling the other listeners when one throws, and returns what it threw', () => {
    const source = createConfigSource(snapshot('info'));
    const boom = new Error('cannot apply');
    let reached = false;
    source.subscribe(() => {
      throw boom;
    });
    source.subscribe(() => (reached = true));
    assert.deepEqual(source.publish(snapshot('debug')), [boom]);
    assert.equal(reached, true);
  });
});
