/**
 * The `admission.sharedBudget` config section: defaults completed into milliseconds, addresses and files
 * resolved, every mistake reported with its key path; and the password it names, read from its file,
 * authenticating to a real Redis that requires one (a wrong one falls back, with the reason).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createSharedBudget } from '../../src/admit/shared/create-shared-budget.js';
import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/config.js';
import { readSharedBudgetFiles } from '../../src/config/read-shared-budget-files.js';
import { startRedisServer, type RedisServer } from '../../bench/lib/redis-server.js';

const VALID = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', clientCertFile: 'gateway.crt', clientKeyFile: 'gateway.key' },
  identity: { mode: 'insecure' },
};

const parse = (sharedBudget: unknown, baseDir = '/etc/listgate') => parseConfig({ ...VALID, admission: { sharedBudget } }, { baseDir });

function issuesOf(sharedBudget: unknown): ConfigIssue[] {
  try {
    parse(sharedBudget);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  assert.fail('expected the document to be refused');
}

describe('config: admission.sharedBudget', () => {
  it('absent: no shared budget; present: defaults completed, IPv6 addresses and files resolved', () => {
    assert.equal(parse(undefined).admission.sharedBudget, undefined);
    const s = parse({ address: '[::1]:6380', auth: { passwordFile: 'redis/password' }, tls: { enabled: true, caFile: '/pki/ca.crt' } }).admission.sharedBudget!;
    assert.deepEqual(
      { host: s.host, port: s.port, passwordFile: s.passwordFile, caFile: s.tls?.caFile, keyPrefix: s.keyPrefix, timings: [s.connectTimeoutMs, s.commandTimeoutMs, s.leaseTtlMs, s.renewIntervalMs], expected: s.expectedReplicas },
      { host: '::1', port: 6380, passwordFile: '/etc/listgate/redis/password', caFile: '/pki/ca.crt', keyPrefix: 'listgate:', timings: [2_000, 250, 10_000, 2_000], expected: 2 },
    );
  });

  const cases: Array<[string, unknown, string, RegExp]> = [
    ['an address without a port', { address: 'redis.svc' }, 'admission.sharedBudget.address', /host:port/],
    ['a port out of range', { address: 'redis:70000' }, 'admission.sharedBudget.address', /host:port/],
    ['a renewal slower than half the TTL', { address: 'redis:6379', leaseTTL: '3s', renewInterval: '2s' }, 'admission.sharedBudget.renewInterval', /half of leaseTTL/],
    ['a command timeout past the renewal', { address: 'redis:6379', commandTimeout: '2s' }, 'admission.sharedBudget.commandTimeout', /below renewInterval/],
    ['a client certificate without its key', { address: 'redis:6379', tls: { enabled: true, clientCertFile: 'c.crt' } }, 'admission.sharedBudget.tls.clientKeyFile', /required/],
    ['TLS files with TLS off', { address: 'redis:6379', tls: { caFile: 'ca.crt' } }, 'admission.sharedBudget.tls.enabled', /must be true/],
    ['a key prefix with a space', { address: 'redis:6379', keyPrefix: 'a b' }, 'admission.sharedBudget.keyPrefix', /letters, digits/],
    ['an unknown key', { address: 'redis:6379', pasword: 'x' }, 'admission.sharedBudget.pasword', /unknown key/],
  ];
  for (const [name, doc, path, message] of cases) {
    it(`refuses ${name}, naming the key`, () => {
      const issue = issuesOf(doc).find((i) => i.path === path);
      assert.ok(issue, `an issue at ${path}: ${JSON.stringify(issuesOf(doc))}`);
      assert.match(issue.message, message);
    });
  }

  describe('the password file, against a Redis that requires one', () => {
    let redis: RedisServer;
    let dir: string;
    before(async () => {
      redis = await startRedisServer({ args: ['--requirepass', 's3cret-for-test'] });
      dir = mkdtempSync(join(tmpdir(), 'listgate-redis-auth-'));
    });
    after(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const join_ = async (password: string) => {
      writeFileSync(join(dir, 'password'), password);
      const config = parse({ address: redis.address, auth: { passwordFile: 'password' }, keyPrefix: `auth${password.length}:` }, dir);
      const settings = config.admission.sharedBudget!;
      const shared = createSharedBudget({ settings, files: readSharedBudgetFiles(config), registry: new Registry(), now: () => performance.now(), holdOverMs: 0, replica: 'auth' });
      await shared.store.start();
      const state = shared.store.state();
      await shared.close();
      return state;
    };

    it('joins with the password read from its file (a trailing newline is not part of it)', async () => {
      assert.equal((await join_('s3cret-for-test\n')).mode, 'shared');
    });

    it('falls back with the reason when the password is wrong', async () => {
      const state = await join_('wrong\n');
      assert.equal(state.mode, 'fallback');
      assert.match(state.lastError ?? '', /WRONGPASS|invalid|auth/i);
    });

    it('refuses a password file of more than one line', () => {
      writeFileSync(join(dir, 'password'), 'one\ntwo\n');
      const config = parse({ address: redis.address, auth: { passwordFile: 'password' } }, dir);
      assert.throws(() => readSharedBudgetFiles(config), (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'admission.sharedBudget.auth.passwordFile' && /one non-empty line/.test(i.message)));
    });
  });
});
