/**
 * Authentication settings reload in a running gateway (in front of the simulator, which answers
 * TokenReviews from its token table): client CA bundles added, replaced, and rotated in place (the
 * config unchanged), and TokenReview switched on — each taking effect for new connections and requests
 * without a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createCA, issueClientCert, issueServingCert, type CertificateAuthority, type KeyPairPem } from '../../src/certs/pki.js';
import { loadConfigFile } from '../../src/config/config.js';
import { startGateway, type RunningGateway } from '../../src/serve.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const TOKEN = 'reload-test-token-5b2f';

describe('authentication settings reload', () => {
  let dir: string;
  let sim: TestSimulator;
  let gateway: RunningGateway;
  let servingCa: CertificateAuthority;
  let clientsX: CertificateAuthority;
  let clientsY: CertificateAuthority;
  let userX: KeyPairPem;
  let userY: KeyPairPem;
  const configPath = () => join(dir, 'listgate.yaml');

  const writeConfig = (authentication: Record<string, unknown>) =>
    writeFileSync(
      configPath(),
      stringify({
        listen: { address: '127.0.0.1', port: 0 },
        ops: { address: '127.0.0.1', port: 0 },
        tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
        upstream: { server: sim.url, caFile: 'sim-ca.crt', clientCertFile: 'sim-admin.crt', clientKeyFile: 'sim-admin.key' },
        authentication,
        identity: { mode: 'insecure' },
      }),
    );

  /** The status of a LIST through the gateway with a client certificate or a bearer token (fresh connection). */
  const status = (as: { cert?: KeyPairPem; token?: string }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: gateway.port,
          path: '/api/v1/namespaces/default/configmaps',
          ca: servingCa.certPem,
          agent: false,
          ...(as.cert ? { cert: as.cert.certPem, key: as.cert.keyPem } : {}),
          headers: as.token ? { Authorization: `Bearer ${as.token}` } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  const reloadTo = async (authentication: Record<string, unknown> | undefined) => {
    if (authentication) writeConfig(authentication);
    const outcome = await gateway.reloader!.reload();
    assert.equal(outcome.applied, true, JSON.stringify(outcome));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listgate-auth-reload-'));
    sim = await startTestSimulator({ tokens: { [TOKEN]: { user: 'robot', groups: ['bots'] } } });
    servingCa = createCA('auth-reload-serving-ca');
    const serving = issueServingCert(servingCa);
    [clientsX, clientsY] = [createCA('clients-x'), createCA('clients-y')];
    userX = issueClientCert(clientsX, { commonName: 'xavier' });
    userY = issueClientCert(clientsY, { commonName: 'yvonne' });
    const files: Record<string, string> = {
      'serving.crt': serving.certPem,
      'serving.key': serving.keyPem,
      'sim-ca.crt': sim.caPem,
      'sim-admin.crt': sim.admin.certPem,
      'sim-admin.key': sim.admin.keyPem,
      'clients.crt': clientsX.certPem,
      'clients-y.crt': clientsY.certPem,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    // Start with tokens only: the handshake does not even ask for a client certificate.
    writeConfig({ tokenReview: { enabled: true } });
    gateway = await startGateway({ config: await loadConfigFile(configPath()), logger: pino({ level: 'silent' }), configPath: configPath(), watch: { pollIntervalMs: 0, debounceMs: 60_000 } });
  });
  after(async () => {
    await gateway.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts asking for client certificates when client CAs are added', async () => {
    assert.equal(await status({ cert: userX }), 401, 'no client CAs: the certificate is not asked for');
    assert.equal(await status({ token: TOKEN }), 200);
    await reloadTo({ clientCAFiles: ['clients.crt'], tokenReview: { enabled: true } });
    assert.equal(await status({ cert: userX }), 200, 'a certificate of the new CA authenticates');
    assert.equal(await status({ cert: userY }), 401);
  });

  it('follows a replaced CA list and TokenReview switched off', async () => {
    await reloadTo({ clientCAFiles: ['clients-y.crt'], tokenReview: { enabled: false } });
    assert.equal(await status({ cert: userY }), 200);
    assert.equal(await status({ cert: userX }), 401, 'the removed CA no longer authenticates');
    assert.equal(await status({ token: TOKEN }), 401, 'tokens refused once TokenReview is off');
  });

  it('picks up a CA bundle rotated in place, the config file unchanged', async () => {
    writeFileSync(join(dir, 'clients-y.crt'), `${clientsY.certPem}${clientsX.certPem}`);
    const outcome = await gateway.reloader!.reload();
    assert.deepEqual(outcome, { applied: true, changed: ['file contents: clientCAs[1]'], restartRequired: [] });
    assert.equal(await status({ cert: userX }), 200, 'the CA added to the bundle authenticates');
    assert.equal(await status({ cert: userY }), 200);
  });
});
