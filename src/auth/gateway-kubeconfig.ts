/**
 * A client-node KubeConfig for the gateway's own identity upstream (upstream.caFile, clientCertFile /
 * clientKeyFile or tokenFile): what TokenReview and SubjectAccessReview calls authenticate with, whatever
 * the forwarding mode. Built in memory from the files already read; nothing is written to disk. Built on
 * first use (client-node.ts: the module is loaded then), once.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { loadClientNode } from './client-node.js';
import type { UpstreamConfig } from '../config/parse-config.js';
import type { TlsFiles } from '../config/read-tls-files.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

export function createGatewayKubeConfig(deps: { upstream: UpstreamConfig; files: TlsFiles['upstream'] }): () => Promise<KubeConfig> {
  let built: Promise<KubeConfig> | undefined;
  return () => (built ??= loadClientNode().then((k8s) => build(new k8s.KubeConfig(), deps)));
}

function build(kc: KubeConfig, deps: { upstream: UpstreamConfig; files: TlsFiles['upstream'] }): KubeConfig {
  const { files } = deps;
  kc.loadFromOptions({
    clusters: [{ name: 'upstream', server: deps.upstream.server, skipTLSVerify: false, ...(files.ca ? { caData: b64(files.ca) } : {}) }],
    users: [
      {
        name: 'listgate',
        ...(files.cert && files.key ? { certData: b64(files.cert), keyData: b64(files.key) } : {}),
        ...(files.token ? { token: files.token } : {}),
      },
    ],
    contexts: [{ name: 'listgate', cluster: 'upstream', user: 'listgate' }],
    currentContext: 'listgate',
  });
  return kc;
}
