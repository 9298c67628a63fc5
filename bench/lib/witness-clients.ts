/**
 * Two clients that cannot ride out a 429, listing a namespace's Secrets the way they do in the field:
 *   - an @kubernetes/client-node informer (makeInformer: an unpaginated LIST, then a WATCH from its
 *     resourceVersion); client-node never retries a 429: its informer reports the error and stops;
 *   - the Python client (/usr/bin/python3 with python3-kubernetes): list_namespaced_secret, unpaginated,
 *     then a short watch from the list's resourceVersion, as its informer-like loops do (urllib3 retries a
 *     429 by its Retry-After three times, invisibly).
 * Each reports whether it synced (the whole collection, then a watch), how long that took and what went
 * wrong; the 429s each received are counted from the gateway's request log, by user.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { KubeConfig, CoreV1Api, makeInformer, type V1Secret } from '@kubernetes/client-node';

export interface WitnessResult {
  client: 'client-node' | 'python';
  synced: boolean;
  items: number;
  seconds: number;
  error?: string;
}

/** A client-node informer on the Secrets of `namespace`; resolves once it has listed (or failed to) and started its watch. */
export async function clientNodeInformer(kubeconfig: string, namespace: string): Promise<WitnessResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Secret>(kc, `/api/v1/namespaces/${namespace}/secrets`, () => core.listNamespacedSecret({ namespace }));
  const errors: string[] = [];
  informer.on('error', (err: unknown) => errors.push(err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300)));
  const started = performance.now();
  await informer.start();
  const seconds = (performance.now() - started) / 1000;
  const items = informer.list(namespace).length;
  // Read before stopping: stopping aborts the watch, which the informer reports as an error.
  const failed = [...errors];
  await informer.stop();
  return { client: 'client-node', synced: failed.length === 0 && items > 0, items, seconds, ...(failed.length > 0 ? { error: failed.join('; ') } : {}) };
}

const PYTHON_LIST = `
import json, sys, time
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=sys.argv[1])
api = client.CoreV1Api()
started = time.monotonic()
try:
    response = api.list_namespaced_secret(sys.argv[2], _preload_content=False)
    body = json.loads(response.data)
    listed = time.monotonic() - started
    rv = body["metadata"]["resourceVersion"]
    for _ in watch.Watch().stream(api.list_namespaced_secret, sys.argv[2], resource_version=rv, timeout_seconds=1):
        pass
    print(json.dumps({"items": len(body["items"]), "seconds": listed}))
except ApiException as e:
    print(json.dumps({"status": e.status, "reason": e.reason, "seconds": time.monotonic() - started}))
`;

/** The Python client listing the Secrets of `namespace`, then watching briefly from the list's resourceVersion. */
export function pythonClient(kubeconfig: string, namespace: string, opts: { python?: string; timeoutMs?: number } = {}): Promise<WitnessResult> {
  return new Promise((resolve) => {
    execFile(opts.python ?? '/usr/bin/python3', ['-c', PYTHON_LIST, kubeconfig, namespace], { timeout: opts.timeoutMs ?? 15 * 60_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const r = JSON.parse(last) as { items?: number; seconds: number; status?: number; reason?: string };
        if (r.items !== undefined) return resolve({ client: 'python', synced: true, items: r.items, seconds: r.seconds });
        return resolve({ client: 'python', synced: false, items: 0, seconds: r.seconds, error: `HTTP ${r.status} ${r.reason ?? ''}` });
      } catch {
        resolve({ client: 'python', synced: false, items: 0, seconds: 0, error: (err?.message ?? stderr).slice(-500) });
      }
    });
  });
}

/** Requests each user got answered 429, from a gateway's JSON request log (one `request completed` line per request). */
export async function tooManyRequestsByUser(logFile: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!line.includes('"request completed"')) continue;
    try {
      const record = JSON.parse(line) as { user?: string; code?: number };
      if (record.code === 429 && record.user) counts.set(record.user, (counts.get(record.user) ?? 0) + 1);
    } catch {
      // a line cut by the process's end
    }
  }
  return counts;
}
