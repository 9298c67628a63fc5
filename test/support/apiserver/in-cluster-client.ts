/**
 * A program that runs as a pod's in-cluster client would, for the real-apiserver suite: client-node's
 * `loadFromCluster()` reads KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT from this process's
 * environment and the token, ca.crt and namespace from the service-account folder under the prefix
 * given (the pod's filesystem root), then asks who it is (a SelfSubjectReview) and lists the pods of its
 * namespace. Prints one JSON line: `{ server, username, extra, pods }`, or `{ server, error }` and exit 1.
 *
 *   node in-cluster-client.js <prefix>
 */
import { AuthenticationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface InClusterResult {
  server: string;
  username?: string;
  extra?: Record<string, string[]>;
  pods?: string[];
  error?: string;
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(`${e.message}${'code' in e ? ` (${String(e.code)})` : ''}`);
  return parts.join(': ') || String(err);
}

async function main(prefix: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromCluster(prefix);
  const server = kc.getCurrentCluster()?.server ?? '';
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  try {
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
    const user = review.status?.userInfo;
    const result: InClusterResult = { server, username: user?.username ?? '', extra: user?.extra ?? {}, pods: pods.items.map((p) => p.metadata?.name ?? '') };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ server, error: describe(err) } satisfies InClusterResult)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv[2] ?? '');
