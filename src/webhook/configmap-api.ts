/**
 * The four ConfigMap calls the CA sync makes, through client-node with the gateway's own credentials
 * (src/auth/gateway-kubeconfig.ts), each bounded by a timeout: read one (undefined when it does not
 * exist), create one ('exists' when another replica was first), replace one at the resourceVersion read
 * ('conflict' when it changed since), and list the ones of one name in every namespace (a metadata.name
 * field selector, which RBAC authorizes against resourceNames).
 */
import type { CoreV1Api, KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { lazyApiClient } from '../auth/client-node.js';
import { describeCallFailure, timeoutOptions } from '../auth/token-review.js';

export interface ConfigMapApi {
  read(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  create(namespace: string, body: V1ConfigMap): Promise<'created' | 'exists'>;
  replace(namespace: string, name: string, body: V1ConfigMap): Promise<'replaced' | 'conflict'>;
  listNamed(name: string): Promise<V1ConfigMap[]>;
}

/** A failed call, described without its response body. */
export class ConfigMapCallError extends Error {
  constructor(call: string, err: unknown) {
    super(`${call}: ${describeCallFailure(err)}`);
    this.name = 'ConfigMapCallError';
  }
}

const statusOf = (err: unknown): number | undefined => (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined);

export function createConfigMapApi(deps: { kubeConfig: () => Promise<KubeConfig>; timeoutMs: number }): ConfigMapApi {
  const client = lazyApiClient<CoreV1Api>(deps.kubeConfig, (k8s) => k8s.CoreV1Api);
  /** The API client (client-node loaded on first use) and the call options with their timeout. */
  const ready = async () => {
    const { api, k8s } = await client();
    return { api, options: () => timeoutOptions(k8s, deps.timeoutMs) };
  };
  return {
    async read(namespace, name) {
      try {
        const { api, options } = await ready();
        return await api.readNamespacedConfigMap({ namespace, name }, options());
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new ConfigMapCallError(`reading ConfigMap ${namespace}/${name}`, err);
      }
    },
    async create(namespace, body) {
      try {
        const { api, options } = await ready();
        await api.createNamespacedConfigMap({ namespace, body }, options());
        return 'created';
      } catch (err) {
        if (statusOf(err) === 409) return 'exists';
        throw new ConfigMapCallError(`creating ConfigMap ${namespace}/${body.metadata?.name ?? ''}`, err);
      }
    },
    async replace(namespace, name, body) {
      try {
        const { api, options } = await ready();
        await api.replaceNamespacedConfigMap({ namespace, name, body }, options());
        return 'replaced';
      } catch (err) {
        if (statusOf(err) === 409) return 'conflict';
        throw new ConfigMapCallError(`replacing ConfigMap ${namespace}/${name}`, err);
      }
    },
    async listNamed(name) {
      try {
        const { api, options } = await ready();
        return (await api.listConfigMapForAllNamespaces({ fieldSelector: `metadata.name=${name}` }, options())).items;
      } catch (err) {
        throw new ConfigMapCallError(`listing ConfigMaps named ${name}`, err);
      }
    },
  };
}
