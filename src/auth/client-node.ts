/**
 * @kubernetes/client-node, loaded on first use and then shared: it is the largest module the gateway uses
 * (loading it costs about as much CPU as the rest of the gateway together), and only TokenReviews and
 * SubjectAccessReviews need it — a gateway or a CLI command that makes neither never loads it.
 */
import type { KubeConfig } from '@kubernetes/client-node';

export type ClientNode = typeof import('@kubernetes/client-node');

let loading: Promise<ClientNode> | undefined;

export function loadClientNode(): Promise<ClientNode> {
  return (loading ??= import('@kubernetes/client-node'));
}

/** An API client of `kind` (with the module), built on first call from the kubeConfig, then reused. */
export function lazyApiClient<T>(kubeConfig: () => Promise<KubeConfig>, kind: (k8s: ClientNode) => new (...args: never[]) => T): () => Promise<{ api: T; k8s: ClientNode }> {
  let client: Promise<{ api: T; k8s: ClientNode }> | undefined;
  return () => {
    client ??= Promise.all([kubeConfig(), loadClientNode()]).then(([kc, k8s]) => ({ api: kc.makeApiClient(kind(k8s) as never) as T, k8s }));
    // A failed load is not cached: the next call tries again.
    client.catch(() => (client = undefined));
    return client;
  };
}
