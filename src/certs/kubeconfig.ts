/**
 * Writes kubeconfig files (clientcmd v1) with the certificates embedded as base64 data, so a kubeconfig is
 * one self-contained file for kubectl and @kubernetes/client-node.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  /** Name used for the cluster, user and context entries. */
  name: string;
  server: string;
  caPem: string;
  user: { certPem: string; keyPem: string } | { token: string };
  namespace?: string;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const user =
    'token' in spec.user
      ? { token: spec.user.token }
      : { 'client-certificate-data': b64(spec.user.certPem), 'client-key-data': b64(spec.user.keyPem) };
  const context: Record<string, string> = { cluster: spec.name, user: spec.name };
  if (spec.namespace) context.namespace = spec.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.name, user }],
    contexts: [{ name: spec.name, context }],
    'current-context': spec.name,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  await writeFile(path, renderKubeconfig(spec), { mode: 0o600 });
}
