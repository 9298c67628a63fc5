/**
 * Who the apiserver sees through the gateway, on a real kube-apiserver: `kubectl auth whoami -o json`
 * straight to the apiserver and through the gateway agree — name, uid, groups and extra, the
 * `authentication.kubernetes.io/credential-id` the apiserver gives a client certificate
 * (`X509SHA256=…`) and a service-account token (`JTI=…`) included — in every identity mode that
 * forwards an identity. A client certificate of a CA the gateway does not trust gets a 401 Status (curl
 * and kubectl), not a broken handshake.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import { createCA, issueClientCert } from '../../src/certs/pki.js';
import { serviceAccountToken } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayIdentityMode, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type ClusterUser, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { runKubectl } from '../support/kubectl.js';

interface UserInfoJson {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

describe('the identity the apiserver sees through the gateway (real kube-apiserver)', () => {
  let kube: KubeApiserver;
  let jane: ClusterUser;
  let token: string;
  let home: string;
  const gateways = new Map<GatewayIdentityMode, GatewayOnApiserver>();

  before(async () => {
    kube = await startKubeApiserver();
    jane = await kube.createUser('jane', ['developers', 'qa']);
    token = await serviceAccountToken(kube, 'default', 'builder');
    home = mkdtempSync(join(tmpdir(), 'listgate-whoami-'));
    for (const mode of ['requestHeader', 'impersonate', 'passthrough'] as const) gateways.set(mode, await startGatewayOnApiserver(kube, { mode }));
  });
  after(async () => {
    for (const gw of gateways.values()) await gw.close();
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const whoami = async (kubeconfig: string): Promise<UserInfoJson> => {
    const r = await runKubectl(['auth', 'whoami', '-o', 'json'], { kubeconfig, home });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { status: { userInfo: UserInfoJson } }).status.userInfo;
  };

  for (const mode of ['requestHeader', 'impersonate'] as const) {
    it(`a client certificate: the same user, groups and credential id (${mode})`, async () => {
      const direct = await whoami(jane.kubeconfig);
      assert.match(direct.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^X509SHA256=[0-9a-f]{64}$/, 'the apiserver gives certificates a credential id');
      const through = await whoami(await gateways.get(mode)!.kubeconfigFor(jane, 'jane'));
      assert.deepEqual(through, direct);
    });
  }

  for (const mode of ['requestHeader', 'impersonate', 'passthrough'] as const) {
    it(`a service-account token: the same user, uid, groups and extra (${mode})`, async () => {
      const direct = await whoami(await writeTokenKubeconfig(kube, home, token));
      assert.match(direct.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '', /^JTI=/);
      const through = await whoami(await gateways.get(mode)!.kubeconfigFor({ token }, 'builder'));
      assert.deepEqual(through, direct);
    });
  }

  it('answers a certificate of an unknown CA with a 401 Status, to curl and to kubectl', async () => {
    const gw = gateways.get('requestHeader')!;
    const stranger = issueClientCert(createCA('some-other-ca'), { commonName: 'mallory', groups: ['system:masters'] });
    const certFile = join(home, 'mallory.crt');
    const keyFile = join(home, 'mallory.key');
    const caFile = join(home, 'gateway-ca.crt');
    writeFileSync(certFile, stranger.certPem);
    writeFileSync(keyFile, stranger.keyPem, { mode: 0o600 });
    writeFileSync(caFile, gw.servingCa.certPem);
    const curl = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('curl', ['--silent', '--show-error', '--cacert', caFile, '--cert', certFile, '--key', keyFile, `${gw.url}/api/v1/namespaces`], (err, stdout) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
      ),
    );
    assert.equal(curl.code, 0, 'the TLS handshake completes');
    const status = JSON.parse(curl.stdout) as { kind: string; code: number; reason: string; message: string };
    assert.deepEqual([status.kind, status.code, status.reason], ['Status', 401, 'Unauthorized']);
    assert.match(status.message, /not signed by a CA this gateway trusts/);
    const kubeconfig = await gw.kubeconfigFor(stranger, 'mallory');
    const raw = await runKubectl(['get', '--raw', '/api/v1/namespaces'], { kubeconfig, home });
    assert.notEqual(raw.code, 0);
    assert.match(raw.stderr, /Unauthorized: listgate could not authenticate the request: the client certificate is not signed by a CA this gateway trusts/);
    const get = await runKubectl(['get', 'namespaces'], { kubeconfig, home });
    assert.match(get.stderr, /You must be logged in to the server/, 'kubectl reads it as a 401');
    assert.doesNotMatch(raw.stderr + get.stderr, /connection reset|handshake|EOF/);
  });
});

async function writeTokenKubeconfig(kube: KubeApiserver, dir: string, token: string): Promise<string> {
  const path = join(dir, 'token-direct.kubeconfig');
  await writeKubeconfig(path, { name: 'direct', server: kube.url, caPem: kube.caPem, user: { token } });
  return path;
}
