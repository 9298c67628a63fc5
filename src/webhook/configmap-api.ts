/**
 * The four ConfigMap calls the CA sync makes, through client-node with the gateway's own credentials
 * (src/auth/gateway-kubeconfig.ts), each bounded by a timeout: read one (undefined when it does not
 * exist), create one ('exists' when another replica was first), replace one at the resourceVersion read
 * ('conflict' when it changed since), and list the ones of one name in every namespace (a metadata.name
 * field selector, which RBAC authorizes against resourceNames).
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
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

export function createConfigMapApi(deps: { kubeConfig: KubeConfig; timeoutMs: number }): ConfigMapApi {
  const api = deps.kubeConfig.makeApiClient(CoreV1Api);
  const options = () => timeoutOptions(deps.timeoutMs);
  return {
    async read(namespace, name) {
      try {
        return await api.readNamespacedConfigMap({ namespace, name }, options());
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new ConfigMapCallError(`reading ConfigMap ${namespace}/${name}`, err);
      }
    },
    async create(namespace, body) {
      try {
        await api.createNamespacedConfigMap({ namespace, body }, options());
        return 'created';
      } catch (err) {
        if (statusOf(err) === 409) return 'exists';
        throw new ConfigMapCallError(`creating ConfigMap ${namespace}/${body.metadata?.name ?? ''}`, err);
      }
    },
    async replace(namespace, name, body) {
      try {
        await api.replaceNamespacedConfigMap({ namespace, name, body }, options());
        return 'replaced';
      } catch (err) {
        if (statusOf(err) === 409) return 'conflict';
        throw new ConfigMapCallError(`replacing ConfigMap ${namespace}/${name}`, err);
      }
    },
    async listNamed(name) {
      try {
        return (await api.listConfigMapForAllNamespaces({ fieldSelector: `metadata.name=${name}` }, options())).items;
      } catch (err) {
        throw new ConfigMapCallError(`listing ConfigMaps named ${name}`, err);
      }
    },
  };
}
