/**
 * The development PKI that `listgate certs init`, the demo and the tests use: one cluster CA (the
 * apiserver's serving and client CA), a front-proxy CA and its client certificate, serving certificates
 * for the apiserver (simulator) and the gateway, and client certificates for an admin (system:masters),
 * an ordinary user, and the gateway's own upstream identity.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_ADMIN, DEV_USER, GATEWAY_IDENTITY } from './dev-users.js';
import {
  createCA,
  issueClientCert,
  issueServingCert,
  type CertificateAuthority,
  type KeyPairPem,
} from './pki.js';

export interface DevPki {
  ca: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  apiserver: KeyPairPem;
  gateway: KeyPairPem;
  frontProxyClient: KeyPairPem;
  admin: KeyPairPem;
  user: KeyPairPem;
  gatewayUpstream: KeyPairPem;
}

export interface DevPkiOptions {
  /** Extra DNS names for the serving certificates (localhost, 127.0.0.1 and ::1 are always there). */
  dnsNames?: string[];
  ipAddresses?: string[];
  userName?: string;
  userGroups?: string[];
}

export { DEV_ADMIN, DEV_USER, GATEWAY_IDENTITY };

export function createDevPki(opts: DevPkiOptions = {}): DevPki {
  const ca = createCA('listgate-dev-ca');
  const frontProxyCa = createCA('listgate-dev-front-proxy-ca');
  const dnsNames = ['localhost', ...(opts.dnsNames ?? [])];
  const ipAddresses = ['127.0.0.1', '::1', ...(opts.ipAddresses ?? [])];
  return {
    ca,
    frontProxyCa,
    apiserver: issueServingCert(ca, { commonName: 'kube-apiserver', dnsNames: [...dnsNames, 'kubernetes', 'kubernetes.default.svc'], ipAddresses }),
    gateway: issueServingCert(ca, { commonName: 'listgate', dnsNames: [...dnsNames, 'listgate'], ipAddresses }),
    frontProxyClient: issueClientCert(frontProxyCa, { commonName: 'front-proxy-client' }),
    admin: issueClientCert(ca, { commonName: DEV_ADMIN.name, groups: [...DEV_ADMIN.groups] }),
    user: issueClientCert(ca, {
      commonName: opts.userName ?? DEV_USER.name,
      groups: opts.userGroups ?? [...DEV_USER.groups],
    }),
    gatewayUpstream: issueClientCert(ca, { commonName: GATEWAY_IDENTITY.name, groups: [...GATEWAY_IDENTITY.groups] }),
  };
}

const PAIRS = ['apiserver', 'gateway', 'frontProxyClient', 'admin', 'user', 'gatewayUpstream'] as const;
const FILE_NAMES: Record<(typeof PAIRS)[number] | 'ca' | 'frontProxyCa', string> = {
  ca: 'ca',
  frontProxyCa: 'front-proxy-ca',
  apiserver: 'apiserver',
  gateway: 'gateway',
  frontProxyClient: 'front-proxy-client',
  admin: 'admin',
  user: 'user',
  gatewayUpstream: 'gateway-upstream',
};

/** `<dir>/<name>.crt` and `<dir>/<name>.key` for every pair; keys are written 0600. */
export function pkiPaths(dir: string, name: keyof typeof FILE_NAMES): { cert: string; key: string } {
  return { cert: join(dir, `${FILE_NAMES[name]}.crt`), key: join(dir, `${FILE_NAMES[name]}.key`) };
}

export async function writeDevPki(dir: string, pki: DevPki): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of ['ca', 'frontProxyCa', ...PAIRS] as const) {
    const paths = pkiPaths(dir, name);
    await writeFile(paths.cert, pki[name].certPem);
    await writeFile(paths.key, pki[name].keyPem, { mode: 0o600 });
  }
}

export async function readDevPki(dir: string): Promise<DevPki> {
  const read = async (name: keyof typeof FILE_NAMES): Promise<KeyPairPem> => {
    const paths = pkiPaths(dir, name);
    return { certPem: await readFile(paths.cert, 'utf8'), keyPem: await readFile(paths.key, 'utf8') };
  };
  const entries = await Promise.all((['ca', 'frontProxyCa', ...PAIRS] as const).map(async (n) => [n, await read(n)] as const));
  const m = Object.fromEntries(entries) as Record<keyof typeof FILE_NAMES, KeyPairPem>;
  return {
    ...m,
    ca: { ...m.ca, commonName: 'listgate-dev-ca' },
    frontProxyCa: { ...m.frontProxyCa, commonName: 'listgate-dev-front-proxy-ca' },
  } as DevPki;
}
