/**
 * `listgate serve` in front of a real kube-apiserver (test/support/apiserver/): a serving certificate of
 * the cluster CA for 127.0.0.1, client certificates of the cluster CA accepted, identities forwarded in
 * requestHeader mode with the front-proxy client certificate the apiserver trusts, and the gateway's own
 * credentials (census, probes, /metrics) a client certificate of its own in system:masters.
 */
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueClientCert, issueServingCert } from '../../src/certs/pki.js';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import { CLI, opsGet, type GatewayProcess } from './bench-stack.js';
import { freePort, type ProcessGroup } from './server-process.js';

export interface KubeGatewayOptions {
  dir: string;
  kube: KubeApiserver;
  /** Adds or replaces top-level config sections (`admission`, `estimator`, …). */
  sections?: Record<string, unknown>;
  name?: string;
  logLevel?: string;
}

export async function startGatewayOnKube(group: ProcessGroup, opts: KubeGatewayOptions): Promise<GatewayProcess> {
  const { kube } = opts;
  const name = opts.name ?? 'gateway';
  group.assertNameFree(name);
  const serving = issueServingCert(kube.pki.clusterCa, { commonName: 'listgate', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const own = issueClientCert(kube.pki.clusterCa, { commonName: 'system:listgate', groups: ['system:masters'] });
  const file = (suffix: string, text: string): string => {
    const path = join(opts.dir, `${name}-${suffix}`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const [port, opsPort] = [await freePort(), await freePort()];
  const doc = {
    listen: { address: '127.0.0.1', port },
    tls: { certFile: file('serving.crt', serving.certPem), keyFile: file('serving.key', serving.keyPem) },
    upstream: { server: kube.url, caFile: kube.pki.files.clusterCa, clientCertFile: file('upstream.crt', own.certPem), clientKeyFile: file('upstream.key', own.keyPem) },
    authentication: { clientCAFiles: [kube.pki.files.clusterCa], tokenReview: { enabled: true } },
    identity: { mode: 'requestHeader', requestHeader: { clientCertFile: kube.pki.files.frontProxyClientCert, clientKeyFile: kube.pki.files.frontProxyClientKey } },
    ops: { address: '127.0.0.1', port: opsPort },
    logging: { level: opts.logLevel ?? 'info' },
    shutdown: { readinessGracePeriod: '0s', drainTimeout: '1s' },
    ...opts.sections,
  };
  const configPath = join(opts.dir, `${name}.yaml`);
  await writeFile(configPath, stringify(doc));
  const proc = await group.spawn({
    name,
    command: process.execPath,
    args: [CLI, 'serve', '--config', configPath],
    dir: opts.dir,
    ready: async () => (await opsGet(opsPort, '/readyz')).status === 200,
    timeoutMs: 60_000,
  });
  return {
    proc,
    target: { name: 'listgate', host: '127.0.0.1', port },
    opsPort,
    configPath,
    metricsText: async () => (await opsGet(opsPort, '/metrics')).body,
  };
}
