/**
 * Where the real kube-apiserver and etcd binaries are: the envtest layout of controller-runtime
 * (`setup-envtest use 1.32.x` prints the folder), named by `KUBEBUILDER_ASSETS` and nothing else.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export interface EnvtestAssets {
  dir: string;
  kubeApiserver: string;
  etcd: string;
}

/** The one line a missing or broken `KUBEBUILDER_ASSETS` is reported with. */
export const ASSETS_HINT =
  'KUBEBUILDER_ASSETS must name a folder with kube-apiserver and etcd (envtest layout): ' +
  'export KUBEBUILDER_ASSETS=$PWD/../shared/envtest/k8s/1.32.6-linux-amd64, or `setup-envtest use 1.32.x -p path`';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binaries, or a reason they cannot be used (the hint above, with what is wrong). */
export function findEnvtestAssets(env: NodeJS.ProcessEnv = process.env): EnvtestAssets | { problem: string } {
  const dir = env['KUBEBUILDER_ASSETS'];
  if (!dir) return { problem: `KUBEBUILDER_ASSETS is not set. ${ASSETS_HINT}` };
  const assets = { dir, kubeApiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd') };
  const missing = [assets.kubeApiserver, assets.etcd].filter((p) => !executable(p));
  if (missing.length > 0) return { problem: `${missing.join(' and ')} not found or not executable. ${ASSETS_HINT}` };
  return assets;
}

export function requireEnvtestAssets(env: NodeJS.ProcessEnv = process.env): EnvtestAssets {
  const found = findEnvtestAssets(env);
  if ('problem' in found) throw new Error(found.problem);
  return found;
}
