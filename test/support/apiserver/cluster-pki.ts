/**
 * The PKI a kube-apiserver needs, made with the project's own node-forge code (src/certs/pki.ts) and
 * written as files the way kubeadm lays them out: the cluster CA (it signs the serving certificate and
 * every user's client certificate), the front-proxy CA and its client certificate (the identity a
 * gateway in requestHeader mode presents), and the service-account signing key pair.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, issueClientCert, issueServingCert, type CertificateAuthority, type KeyPairPem } from '../../../src/certs/pki.js';

export const FRONT_PROXY_CLIENT_NAME = 'front-proxy-client';

export interface ClusterPki {
  clusterCa: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  frontProxyClient: KeyPairPem;
  admin: KeyPairPem;
  /** Absolute paths of what the apiserver's flags name, and of the front-proxy client's pair. */
  files: {
    clusterCa: string;
    servingCert: string;
    servingKey: string;
    frontProxyCa: string;
    frontProxyClientCert: string;
    frontProxyClientKey: string;
    serviceAccountKey: string;
    serviceAccountPub: string;
  };
  /** A client certificate of the cluster CA: CN = user, O = groups (as kube-apiserver reads it). */
  issueUser(user: string, groups?: string[]): KeyPairPem;
}

export function createClusterPki(dir: string): ClusterPki {
  const clusterCa = createCA('kubernetes-ca');
  const serving = issueServingCert(clusterCa, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '10.96.0.1'],
  });
  const frontProxyCa = createCA('front-proxy-ca');
  const frontProxyClient = issueClientCert(frontProxyCa, { commonName: FRONT_PROXY_CLIENT_NAME });
  const admin = issueClientCert(clusterCa, { commonName: 'kubernetes-admin', groups: ['system:masters'] });
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const files = {
    clusterCa: join(dir, 'ca.crt'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    frontProxyCa: join(dir, 'front-proxy-ca.crt'),
    frontProxyClientCert: join(dir, 'front-proxy-client.crt'),
    frontProxyClientKey: join(dir, 'front-proxy-client.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600 });
  write(files.clusterCa, clusterCa.certPem);
  write(files.servingCert, serving.certPem);
  write(files.servingKey, serving.keyPem);
  write(files.frontProxyCa, frontProxyCa.certPem);
  write(files.frontProxyClientCert, frontProxyClient.certPem);
  write(files.frontProxyClientKey, frontProxyClient.keyPem);
  write(files.serviceAccountKey, sa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  write(files.serviceAccountPub, sa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return {
    clusterCa,
    frontProxyCa,
    frontProxyClient,
    admin,
    files,
    issueUser: (user, groups = []) => issueClientCert(clusterCa, { commonName: user, groups }),
  };
}
