/**
 * Test PKI for the gateway: one CA that signs the upstream's serving certificate and the gateway's client
 * certificate, another that signs the gateway's serving certificate (so tests tell the two trust
 * domains apart), all written as files into a temporary folder as an operator would have them.
 * Generated once per test process: RSA keys are slow.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, issueClientCert, issueServingCert, type CertificateAuthority, type KeyPairPem } from '../../src/certs/pki.js';

export interface GatewayTestPki {
  dir: string;
  upstreamCa: CertificateAuthority;
  upstreamServing: KeyPairPem;
  gatewayCa: CertificateAuthority;
  gatewayServing: KeyPairPem;
  gatewayClient: KeyPairPem;
  /** An unrelated CA: trusting it instead of upstreamCa makes verification fail. */
  otherCa: CertificateAuthority;
  /** File names relative to `dir`. */
  files: {
    upstreamCa: string;
    otherCa: string;
    gatewayCert: string;
    gatewayKey: string;
    clientCert: string;
    clientKey: string;
    token: string;
  };
  cleanup(): void;
}

let cached: Omit<GatewayTestPki, 'dir' | 'files' | 'cleanup'> | undefined;

export function createGatewayTestPki(): GatewayTestPki {
  if (!cached) {
    const upstreamCa = createCA('test-upstream-ca');
    const gatewayCa = createCA('test-gateway-ca');
    cached = {
      upstreamCa,
      upstreamServing: issueServingCert(upstreamCa),
      gatewayCa,
      gatewayServing: issueServingCert(gatewayCa),
      gatewayClient: issueClientCert(upstreamCa, { commonName: 'listgate', groups: ['system:masters'] }),
      otherCa: createCA('test-other-ca'),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'listgate-gw-'));
  const files = {
    upstreamCa: 'upstream-ca.crt',
    otherCa: 'other-ca.crt',
    gatewayCert: 'serving.crt',
    gatewayKey: 'serving.key',
    clientCert: 'gateway.crt',
    clientKey: 'gateway.key',
    token: 'token',
  };
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text, { mode: 0o600 });
  write(files.upstreamCa, cached.upstreamCa.certPem);
  write(files.otherCa, cached.otherCa.certPem);
  write(files.gatewayCert, cached.gatewayServing.certPem);
  write(files.gatewayKey, cached.gatewayServing.keyPem);
  write(files.clientCert, cached.gatewayClient.certPem);
  write(files.clientKey, cached.gatewayClient.keyPem);
  write(files.token, 'gateway-secret-token\n');
  return { ...cached, dir, files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
