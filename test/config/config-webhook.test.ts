/**
 * The webhook section: off unless enabled; when enabled, the gateway's host and CA are required, its
 * serving pair defaults to the gateway's, its port must not collide with the gateway's or the ops port,
 * and its files are read and checked with the others, each problem under the key that names the file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/config.js';
import { loadConfigSnapshot } from '../../src/config/load-config-file.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';

const BASE = {
  tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
  upstream: { server: 'https://127.0.0.1:6443', caFile: 'upstream-ca.crt', clientCertFile: 'gateway.crt', clientKeyFile: 'gateway.key' },
  identity: { mode: 'impersonate' },
};
const ENABLED = { enabled: true, gateway: { host: 'listgate.listgate.svc', caFile: 'gateway-ca.crt' } };

function issues(doc: unknown): ConfigIssue[] {
  try {
    parseConfig(doc, { baseDir: '/etc/listgate' });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues;
  }
  assert.fail('expected the document to be refused');
}

describe('the webhook section', () => {
  it('is off unless enabled', () => {
    assert.deepEqual(parseConfig(BASE, { baseDir: '/etc/listgate' }).webhook, { enabled: false });
  });

  it('completes an enabled webhook: the gateway\'s serving pair by default, files resolved, durations in ms', () => {
    const { webhook } = parseConfig({ ...BASE, webhook: ENABLED }, { baseDir: '/etc/listgate' });
    assert.deepEqual(webhook, {
      enabled: true,
      listen: { address: '127.0.0.1', port: 8444 },
      tls: { certFile: '/etc/listgate/serving.crt', keyFile: '/etc/listgate/serving.key' },
      host: 'listgate.listgate.svc',
      port: 443,
      caFile: '/etc/listgate/gateway-ca.crt',
      caConfigMap: { name: 'listgate-gateway-ca', timeoutMs: 2000, resyncIntervalMs: 60_000 },
      excludedNamespaces: ['kube-system', 'listgate'],
    });
  });

  it('reports every problem at once with its path', () => {
    const found = issues({
      ...BASE,
      listen: { port: 9000 },
      webhook: { enabled: true, listen: { port: 9000 }, gateway: { host: 'Not A Host!' }, caConfigMap: { name: 'UPPER', timeout: '0s' }, excludedNamespaces: ['a/b'], extra: 1 },
    });
    assert.deepEqual(
      found.map((i) => i.path).sort(),
      ['webhook.caConfigMap.name', 'webhook.caConfigMap.timeout', 'webhook.excludedNamespaces[0]', 'webhook.extra', 'webhook.gateway.caFile', 'webhook.gateway.host', 'webhook.listen.port'].sort(),
    );
    assert.match(found.find((i) => i.path === 'webhook.gateway.caFile')!.message, /required when webhook.enabled is true/);
    assert.match(found.find((i) => i.path === 'webhook.listen.port')!.message, /must differ from listen.port/);
  });

  it('requires the host and CA only when enabled', () => {
    assert.deepEqual(parseConfig({ ...BASE, webhook: { enabled: false, listen: { port: 8081 } } }, { baseDir: '/' }).webhook, { enabled: false });
    assert.deepEqual(issues({ ...BASE, webhook: { enabled: true } }).map((i) => i.path), ['webhook.gateway.host', 'webhook.gateway.caFile']);
  });

  describe('its files', () => {
    let pki: GatewayTestPki;
    const load = async (webhook: Record<string, unknown>) => {
      const path = join(pki.dir, 'listgate.yaml');
      writeFileSync(path, JSON.stringify({ ...BASE, webhook }));
      try {
        return { snapshot: await loadConfigSnapshot(path), issues: [] as ConfigIssue[] };
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return { snapshot: undefined, issues: err.issues };
      }
    };
    before(() => {
      pki = createGatewayTestPki();
      writeFileSync(join(pki.dir, 'gateway-ca.crt'), pki.gatewayCa.certPem);
      writeFileSync(join(pki.dir, 'not-a-ca.crt'), 'hello\n');
    });
    after(() => pki.cleanup());

    it('reads the serving pair and the CA bundle into the snapshot, and none while disabled', async () => {
      const { snapshot } = await load(ENABLED);
      assert.equal(snapshot?.webhook?.gatewayCa, pki.gatewayCa.certPem);
      assert.equal(snapshot?.webhook?.serving.cert, pki.gatewayServing.certPem);
      assert.equal((await load({ enabled: false })).snapshot?.webhook, undefined);
    });

    it('refuses a CA file without certificates, a missing file and a key that is not the certificate\'s', async () => {
      const { issues: found } = await load({
        ...ENABLED,
        tls: { certFile: 'serving.crt', keyFile: 'gateway.key' },
        gateway: { host: 'listgate.listgate.svc', caFile: 'not-a-ca.crt' },
      });
      assert.deepEqual(found.map((i) => i.path).sort(), ['webhook.gateway.caFile', 'webhook.tls.keyFile']);
      assert.match(found.find((i) => i.path === 'webhook.tls.keyFile')!.message, /is not the key of the certificate/);
      const missing = await load({ ...ENABLED, gateway: { host: '10.96.0.20', caFile: 'absent.crt' } });
      assert.match(missing.issues[0]!.message, /cannot read .*absent.crt \(ENOENT\)/);
    });
  });
});
