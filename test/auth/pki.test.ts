/**
 * The development PKI (src/certs/pki.ts): certificates that OpenSSL accepts (signatures made with Node's
 * native RSA), and the leaf-key pool a test run uses: leaves take the pool's keys in turn, CAs never do.
 * The pool is read once per process, so each case runs in a child process with its own environment.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCA, issueClientCert, issueServingCert, LEAF_KEY_POOL_ENV } from '../../src/certs/pki.js';

const PKI = new URL('../../src/certs/pki.js', import.meta.url).href;

interface Issued {
  caKeys: string[];
  leafKeys: string[];
  leafCerts: string[];
  caCerts: string[];
}

/** Issues 2 CAs and 5 leaves in a fresh process whose pool variable is `pool`, and returns the PEMs. */
async function issueInChild(pool: string | undefined): Promise<Issued> {
  const script = `
    const p = await import(${JSON.stringify(PKI)});
    const cas = [p.createCA('ca-a'), p.createCA('ca-b')];
    const leaves = [0, 1, 2, 3, 4].map((i) => i % 2 ? p.issueClientCert(cas[0], { commonName: 'u' + i }) : p.issueServingCert(cas[1]));
    console.log(JSON.stringify({ caKeys: cas.map((c) => c.keyPem), caCerts: cas.map((c) => c.certPem), leafKeys: leaves.map((l) => l.keyPem), leafCerts: leaves.map((l) => l.certPem) }));`;
  const env = { ...process.env };
  delete env[LEAF_KEY_POOL_ENV];
  if (pool !== undefined) env[LEAF_KEY_POOL_ENV] = pool;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env });
  return JSON.parse(stdout) as Issued;
}

const modulus = (keyPem: string) => createPublicKey(createPrivateKey(keyPem)).export({ format: 'jwk' }).n;

describe('development PKI', () => {
  let dir: string;
  let poolFile: string;
  let poolKeys: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'listgate-pki-'));
    poolKeys = [0, 1, 2].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    poolFile = join(dir, 'pool.pem');
    await writeFile(poolFile, poolKeys.join(''));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('issues certificates that verify against their CA and match their keys', () => {
    const ca = createCA('pki-test-ca');
    const other = createCA('pki-test-ca');
    const caCert = new X509Certificate(ca.certPem);
    assert.ok(caCert.verify(caCert.publicKey), 'the CA is self-signed');
    assert.ok(caCert.ca);
    for (const leaf of [issueServingCert(ca, { dnsNames: ['gw.example'] }), issueClientCert(ca, { commonName: 'alice', groups: ['dev'] })]) {
      const cert = new X509Certificate(leaf.certPem);
      assert.ok(cert.verify(caCert.publicKey), 'signed by its CA');
      assert.ok(cert.checkIssued(caCert));
      assert.ok(cert.checkPrivateKey(createPrivateKey(leaf.keyPem)), 'the key is the certificate\'s');
      assert.equal(cert.verify(new X509Certificate(other.certPem).publicKey), false, 'a same-named CA with another key does not verify it');
    }
  });

  it('without a pool, every certificate has a fresh key', async () => {
    const issued = await issueInChild(undefined);
    const moduli = [...issued.caKeys, ...issued.leafKeys].map(modulus);
    assert.equal(new Set(moduli).size, 7);
    for (const key of poolKeys) assert.ok(!moduli.includes(modulus(key)));
  });

  it('with a pool, leaves take its keys in turn and CAs get fresh ones', async () => {
    const issued = await issueInChild(poolFile);
    assert.deepEqual(issued.leafKeys.map(modulus), [0, 1, 2, 0, 1].map((i) => modulus(poolKeys[i]!)));
    const caModuli = issued.caKeys.map(modulus);
    assert.equal(new Set(caModuli).size, 2, 'the two CAs have distinct keys');
    for (const key of poolKeys) assert.ok(!caModuli.includes(modulus(key)), 'no CA key comes from the pool');
    const [caA, caB] = issued.caCerts.map((pem) => new X509Certificate(pem));
    issued.leafCerts.forEach((pem, i) => {
      const cert = new X509Certificate(pem);
      assert.ok(cert.verify((i % 2 ? caA : caB)!.publicKey), `leaf ${i} is signed by its own CA`);
      assert.equal(cert.verify((i % 2 ? caB : caA)!.publicKey), false, `leaf ${i} does not verify against the other CA`);
    });
  });

  it('a pool file without keys is an error that names the variable and the file', async () => {
    const empty = join(dir, 'empty.pem');
    await writeFile(empty, 'not a key\n');
    await assert.rejects(issueInChild(empty), (err: Error) => {
      assert.match(err.message, new RegExp(`${LEAF_KEY_POOL_ENV}=${empty.replace(/[.]/g, '\\.')}: the file holds no PEM RSA private key`));
      return true;
    });
  });
});
