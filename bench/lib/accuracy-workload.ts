/**
 * The estimator accuracy benchmark's request mix, sent THROUGH the gateway the way real clients send it:
 * `kubectl get` (Table, chunked with --chunk-size), @kubernetes/client-node informers (a JSON LIST of the
 * collection, then a watch), metadata-only lists (`as=PartialObjectMetadataList`, as metadata informers
 * and garbage collectors ask), paginated lists followed to the end, label and field selectors, watch-cache
 * reads (resourceVersion=0) and namespaced lists. Each step runs to completion before the next.
 */
import { execFile } from 'node:child_process';
import type { Agent } from 'node:https';
import { CoreV1Api, KubeConfig, makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { fetchOnce, type Target } from './https-client.js';

export interface WorkloadDeps {
  /** The gateway. */
  target: Target;
  /** An agent with the caller's client certificate, to the gateway. */
  agent: Agent;
  /** A kubeconfig for the same caller through the gateway (kubectl, client-node). */
  kubeconfig: string;
  /** kubectl on PATH; without it the kubectl steps are left out (and the report says so). */
  kubectl: boolean;
  env: NodeJS.ProcessEnv;
}

export interface WorkloadStep {
  name: string;
  run(): Promise<void>;
}

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const METADATA = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json';

function kubectl(deps: WorkloadDeps, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['--kubeconfig', deps.kubeconfig, ...args], { env: deps.env, timeout: 120_000, maxBuffer: 512 * 1024 * 1024 }, (err, _out, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(),
    );
  });
}

/** One LIST through the gateway, following `continue` to the last page when `follow`. */
async function list(deps: WorkloadDeps, path: string, accept = 'application/json', follow = false): Promise<void> {
  let next: string | undefined;
  do {
    const target = next ? `${path}&continue=${encodeURIComponent(next)}` : path;
    const res = await fetchOnce({ target: deps.target, agent: deps.agent, path: target, headers: { Accept: accept }, keepBytes: 4096 });
    if (res.status !== 200) throw new Error(`GET ${target}: ${res.status} ${res.head.toString('utf8').slice(0, 200)}`);
    next = follow ? /"continue":"([^"]+)"/.exec(res.head.toString('latin1'))?.[1] : undefined;
  } while (next);
}

/** A client-node informer: its LIST (JSON, no resourceVersion) and the start of its watch, then stop. */
async function inform<T extends KubernetesObject>(kc: KubeConfig, path: string, listFn: () => Promise<KubernetesListObject<T>>): Promise<void> {
  const informer = makeInformer<T>(kc, path, listFn);
  informer.on('error', () => undefined);
  await informer.start();
  await informer.stop();
}

export function accuracyWorkload(deps: WorkloadDeps): WorkloadStep[] {
  const kc = new KubeConfig();
  kc.loadFromFile(deps.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const steps: WorkloadStep[] = [];
  if (deps.kubectl) {
    steps.push(
      { name: 'kubectl get secrets -A --chunk-size=500', run: () => kubectl(deps, ['get', 'secrets', '-A', '--chunk-size=500']) },
      { name: 'kubectl get configmaps -A --chunk-size=100', run: () => kubectl(deps, ['get', 'configmaps', '-A', '--chunk-size=100']) },
      { name: 'kubectl get pods -n ns-1', run: () => kubectl(deps, ['get', 'pods', '-n', 'ns-1']) },
      { name: 'kubectl get secrets -n releases', run: () => kubectl(deps, ['get', 'secrets', '-n', 'releases']) },
    );
  }
  steps.push(
    { name: 'informer configmaps (client-node)', run: () => inform(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces()) },
    { name: 'informer secrets (client-node)', run: () => inform(kc, '/api/v1/secrets', () => core.listSecretForAllNamespaces()) },
    { name: 'informer pods in ns-2 (client-node)', run: () => inform(kc, '/api/v1/namespaces/ns-2/pods', () => core.listNamespacedPod({ namespace: 'ns-2' })) },
    { name: 'metadata secrets resourceVersion=0', run: () => list(deps, '/api/v1/secrets?resourceVersion=0', METADATA) },
    { name: 'metadata configmaps', run: () => list(deps, '/api/v1/configmaps', METADATA) },
    { name: 'paginated secrets limit=50', run: () => list(deps, '/api/v1/secrets?limit=50', 'application/json', true) },
    { name: 'paginated configmaps limit=250', run: () => list(deps, '/api/v1/configmaps?limit=250', 'application/json', true) },
    { name: 'paginated Table pods limit=40', run: () => list(deps, '/api/v1/pods?limit=40', TABLE, true) },
    { name: 'label selector secrets app=app-1', run: () => list(deps, '/api/v1/secrets?labelSelector=app%3Dapp-1') },
    { name: 'field selector pods on node-1', run: () => list(deps, '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1') },
    { name: 'label selector configmaps in ns-0', run: () => list(deps, '/api/v1/namespaces/ns-0/configmaps?labelSelector=app%3Dapp-2') },
    { name: 'helm list -n releases (label selector owner=helm)', run: () => list(deps, '/api/v1/namespaces/releases/secrets?labelSelector=owner%3Dhelm') },
    { name: 'configmaps resourceVersion=0', run: () => list(deps, '/api/v1/configmaps?resourceVersion=0') },
    { name: 'secrets in ns-2', run: () => list(deps, '/api/v1/namespaces/ns-2/secrets') },
    { name: 'secrets in releases', run: () => list(deps, '/api/v1/namespaces/releases/secrets') },
  );
  return steps;
}
