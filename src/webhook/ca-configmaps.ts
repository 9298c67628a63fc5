/**
 * The ConfigMap (key ca.crt) that routed pods read their CA bundle from, kept in each routed namespace:
 * - `ensure(namespace)` before a pod of that namespace is routed: created, or rewritten when it holds
 *   another bundle; remembered once it holds the current one, so later pods cost no call; concurrent
 *   calls for one namespace share one write; two replicas racing resolve through AlreadyExists and the
 *   resourceVersion (one retry);
 * - `resync()` lists the ConfigMaps of that name in every namespace, rewrites the stale ones (a new
 *   gateway CA reaches the pods of every routed namespace) and forgets the deleted ones, so the next pod
 *   there recreates it. The caller runs it at start, on every CA change and every resync interval.
 * The bundle and the name are read per call, so a reload takes effect at once.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ConfigMapApi } from './configmap-api.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export const CA_KEY = 'ca.crt';

export interface CaConfigMaps {
  ensure(namespace: string): Promise<void>;
  resync(): Promise<void>;
}

export interface CaConfigMapsDeps {
  api: () => ConfigMapApi;
  /** The ConfigMap's name and the bundle it must hold, as configured now. */
  wanted: () => { name: string; bundle: string };
  metrics: WebhookMetrics;
  logger: Logger;
}

export function configMapBody(namespace: string, name: string, bundle: string, resourceVersion?: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'listgate', 'app.kubernetes.io/component': 'gateway-ca', 'app.kubernetes.io/managed-by': 'listgate' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [CA_KEY]: bundle },
  };
}

export function createCaConfigMaps(deps: CaConfigMapsDeps): CaConfigMaps {
  /** namespace → `name\nbundle` its ConfigMap is known to hold. */
  const known = new Map<string, string>();
  const writing = new Map<string, Promise<void>>();
  const keyOf = (w: { name: string; bundle: string }) => `${w.name}\n${w.bundle}`;

  /** Makes `namespace`'s ConfigMap hold the wanted bundle, starting from `seen` when it was just listed. */
  const write = async (namespace: string, seen?: V1ConfigMap): Promise<void> => {
    const wanted = deps.wanted();
    const api = deps.api();
    try {
      let current = seen ?? (await api.read(namespace, wanted.name));
      // One retry: another replica may create or rewrite it between the read and the write.
      for (let attempt = 0; attempt < 2; attempt++) {
        let result: 'created' | 'updated' | 'unchanged' | 'raced';
        if (!current) {
          result = (await api.create(namespace, configMapBody(namespace, wanted.name, wanted.bundle))) === 'created' ? 'created' : 'raced';
        } else if (current.data?.[CA_KEY] === wanted.bundle) {
          result = 'unchanged';
        } else {
          const body = configMapBody(namespace, wanted.name, wanted.bundle, current.metadata?.resourceVersion);
          result = (await api.replace(namespace, wanted.name, body)) === 'replaced' ? 'updated' : 'raced';
        }
        if (result === 'raced') {
          current = await api.read(namespace, wanted.name);
          continue;
        }
        if (result !== 'unchanged') {
          deps.metrics.observeCaConfigMap(result);
          deps.logger.info({ namespace, configMap: wanted.name, result }, 'gateway CA ConfigMap written');
        }
        known.set(namespace, keyOf(wanted));
        return;
      }
      throw new Error(`ConfigMap ${namespace}/${wanted.name} kept changing while being written`);
    } catch (err) {
      deps.metrics.observeCaConfigMap('failed');
      known.delete(namespace);
      throw err;
    }
  };

  const ensure = (namespace: string): Promise<void> => {
    if (known.get(namespace) === keyOf(deps.wanted())) return Promise.resolve();
    const pending = writing.get(namespace);
    if (pending) return pending;
    const started = write(namespace).finally(() => writing.delete(namespace));
    writing.set(namespace, started);
    return started;
  };

  return {
    ensure,
    async resync() {
      const wanted = deps.wanted();
      const found = await deps.api().listNamed(wanted.name);
      const present = new Set<string>();
      const failures: unknown[] = [];
      for (const configMap of found) {
        const namespace = configMap.metadata?.namespace;
        if (!namespace) continue;
        present.add(namespace);
        if (configMap.data?.[CA_KEY] === wanted.bundle) {
          known.set(namespace, keyOf(wanted));
          continue;
        }
        try {
          await write(namespace, configMap);
        } catch (err) {
          failures.push(err);
        }
      }
      for (const namespace of [...known.keys()]) if (!present.has(namespace)) known.delete(namespace);
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${found.length} gateway CA ConfigMaps could not be updated`);
    },
  };
}
