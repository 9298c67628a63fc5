/**
 * Deterministic seed data: the `default` and `kube-system` namespaces plus `ns-<i>`, and `secret-<i>`,
 * `config-<i>`, `pod-<i>` (serving HTTP on container port 8080, with the events of its start),
 * `deploy-<i>` spread round-robin over `default` and the `ns-<i>` namespaces.
 * Secret payloads are `secretSize` decoded bytes of an AES-CTR keystream keyed by the secret's index, so
 * the same options always give the same bytes; uids are derived from the object's key.
 */
import { createCipheriv, createHash } from 'node:crypto';
import type { KubeObject } from './kube-object.js';
import { podStartEvents, toEventsV1 } from './events-seed.js';
import { prepareCreate } from './object-lifecycle.js';
import { findResource, groupVersion, type ResourceDef } from './resources.js';
import { objectKey, type Store } from './store.js';

export interface SeedOptions {
  namespaces?: number;
  secrets?: number;
  secretSize?: number;
  configmaps?: number;
  pods?: number;
  deployments?: number;
}

export const SEED_DEFAULTS: Required<SeedOptions> = {
  namespaces: 2,
  secrets: 10,
  secretSize: 1024,
  configmaps: 4,
  pods: 4,
  deployments: 2,
};

const SEED_KEY = Buffer.from('listgate-seed-k1', 'utf8');

export function seedBytes(index: number, size: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index >>> 0, 12);
  return createCipheriv('aes-128-ctr', SEED_KEY, iv).update(Buffer.alloc(size));
}

function seedUid(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function def(group: string, resource: string): ResourceDef {
  const found = findResource(group, 'v1', resource);
  if (!found) throw new Error(`seed: no resource ${group}/${resource}`);
  return found;
}

/** Fills an empty store; returns the namespaces that received workload objects. */
export function seedStore(store: Store, options: SeedOptions | undefined, now: number): string[] {
  const o = { ...SEED_DEFAULTS, ...options };
  const put = (d: ResourceDef, namespace: string, body: { metadata: KubeObject['metadata']; [key: string]: unknown }): void => {
    const input: KubeObject = { ...body, apiVersion: groupVersion(d), kind: d.kind, metadata: body.metadata };
    const key = objectKey(d.namespaced ? namespace : undefined, input.metadata.name);
    const obj = prepareCreate(d, input, { namespace, now, uid: seedUid(`${d.resource}/${key}`) });
    if ('code' in obj) throw new Error(`seed: ${obj.message ?? 'invalid object'}`);
    store.put(d, key, obj);
  };
  const meta = (name: string, labels?: Record<string, string>): KubeObject['metadata'] =>
    ({ name, ...(labels ? { labels } : {}) }) as KubeObject['metadata'];

  const namespaces = def('', 'namespaces');
  const workloadNamespaces = ['default', ...Array.from({ length: o.namespaces }, (_, i) => `ns-${i}`)];
  for (const name of ['default', 'kube-system', ...workloadNamespaces.slice(1)]) put(namespaces, '', { metadata: meta(name) });
  const nsFor = (i: number): string => workloadNamespaces[i % workloadNamespaces.length]!;

  const secrets = def('', 'secrets');
  for (let i = 0; i < o.secrets; i++) {
    put(secrets, nsFor(i), {
      metadata: meta(`secret-${i}`, { app: `app-${i % 3}`, 'listgate.io/seed': 'true' }),
      data: { payload: seedBytes(i, o.secretSize).toString('base64') },
      type: 'Opaque',
    });
  }
  const configmaps = def('', 'configmaps');
  for (let i = 0; i < o.configmaps; i++) {
    put(configmaps, nsFor(i), { metadata: meta(`config-${i}`, { app: `app-${i % 3}` }), data: { index: String(i), greeting: `hello ${i}` } });
  }
  const deployments = def('apps', 'deployments');
  for (let i = 0; i < o.deployments; i++) {
    const labels = { app: `deploy-${i}` };
    put(deployments, nsFor(i), {
      metadata: meta(`deploy-${i}`, labels),
      spec: {
        replicas: (i % 3) + 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] } },
      },
    });
  }
  const pods = def('', 'pods');
  for (let i = 0; i < o.pods; i++) {
    const app = o.deployments > 0 ? `deploy-${i % o.deployments}` : 'standalone';
    put(pods, nsFor(i), {
      metadata: meta(`pod-${i}`, { app }),
      spec: {
        nodeName: `node-${i % 3}`,
        containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
      },
    });
  }
  const coreEvents = def('', 'events');
  const eventsV1 = def('events.k8s.io', 'events');
  for (let i = 0; i < o.pods; i++) {
    const pod = store.get(pods, objectKey(nsFor(i), `pod-${i}`));
    for (const event of pod ? podStartEvents(pod.obj, now) : []) {
      put(coreEvents, nsFor(i), event);
      put(eventsV1, nsFor(i), toEventsV1(event));
    }
  }
  return workloadNamespaces;
}
