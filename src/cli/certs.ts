/**
 * `listgate certs init --dir DIR`: a development PKI plus kubeconfigs that use it.
 * `listgate certs client --dir DIR --cn NAME [--group G …] --out PREFIX`: one more client certificate
 * signed by DIR's cluster CA (and a kubeconfig with --server).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevPki, readDevPki, writeDevPki, DEV_USER } from '../certs/dev-pki.js';
import { writeKubeconfig } from '../certs/kubeconfig.js';
import { issueClientCert } from '../certs/pki.js';
import { CliError, parseFlags } from './args.js';

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export async function runCerts(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'init') return certsInit(rest);
  if (sub === 'client') return certsClient(rest);
  throw new CliError(`listgate certs: ${sub === undefined ? 'a subcommand is required' : `unknown subcommand "${sub}"`} (expected init or client; see 'listgate certs --help')`);
}

async function certsInit(argv: string[]): Promise<void> {
  const { values } = parseFlags('certs init', argv, {
    dir: { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    server: { type: 'string' },
    gateway: { type: 'string' },
  });
  if (typeof values.dir !== 'string') throw new CliError('listgate certs init: --dir is required');
  const pki = createDevPki({ dnsNames: stringList(values.dns), ipAddresses: stringList(values.ip) });
  await writeDevPki(values.dir, pki);
  const server = typeof values.server === 'string' ? values.server : 'https://127.0.0.1:6443';
  const gateway = typeof values.gateway === 'string' ? values.gateway : 'https://127.0.0.1:8443';
  await writeKubeconfig(join(values.dir, 'admin.kubeconfig'), { name: 'admin', server, caPem: pki.ca.certPem, user: pki.admin });
  await writeKubeconfig(join(values.dir, 'user.kubeconfig'), { name: DEV_USER.name, server: gateway, caPem: pki.ca.certPem, user: pki.user });
  process.stdout.write(`wrote a development PKI and kubeconfigs to ${values.dir}\n`);
}

async function certsClient(argv: string[]): Promise<void> {
  const { values } = parseFlags('certs client', argv, {
    dir: { type: 'string' },
    cn: { type: 'string' },
    group: { type: 'string', multiple: true },
    out: { type: 'string' },
    server: { type: 'string' },
  });
  if (typeof values.dir !== 'string' || typeof values.cn !== 'string' || typeof values.out !== 'string') {
    throw new CliError('listgate certs client: --dir, --cn and --out are required');
  }
  const pki = await readDevPki(values.dir);
  const pair = issueClientCert(pki.ca, { commonName: values.cn, groups: stringList(values.group) });
  await writeFile(`${values.out}.crt`, pair.certPem);
  await writeFile(`${values.out}.key`, pair.keyPem, { mode: 0o600 });
  if (typeof values.server === 'string') {
    await writeKubeconfig(`${values.out}.kubeconfig`, { name: values.cn, server: values.server, caPem: pki.ca.certPem, user: pair });
  }
  process.stdout.write(`issued ${values.out}.crt for ${values.cn}${values.group ? ` (groups ${stringList(values.group).join(', ')})` : ''}\n`);
}
