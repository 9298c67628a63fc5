/**
 * A real kube-apiserver with its etcd, for the real-apiserver suite: both on free loopback ports, the PKI
 * of cluster-pki.ts, RBAC on, front-proxy (request-header) authentication trusted the way listgate's
 * `requestHeader` mode needs it, optionally the apiserver alone in a memory cgroup. Started once per test
 * file (`before`), stopped in `after` — processes by PID, the temp folder and the cgroup, even when a test
 * failed; a process exit kills whatever is left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessGroup, freePort, type ProcessGroup, type ServerProcess } from '../../../bench/lib/server-process.js';
import { writeKubeconfig } from '../../../src/certs/kubeconfig.js';
import type { KeyPairPem } from '../../../src/certs/pki.js';
import { fetchSim, type FetchOptions, type FetchResult } from '../simulator-fixture.js';
import { createClusterPki, FRONT_PROXY_CLIENT_NAME, type ClusterPki } from './cluster-pki.js';
import { requireEnvtestAssets } from './envtest-assets.js';
import { createMemoryCgroup, type MemoryCgroup } from './memory-cgroup.js';

export interface KubeApiserverOptions {
  /** Put the apiserver alone in a memory cgroup of this many bytes (root only). */
  memoryLimitBytes?: number;
  /** More kube-apiserver flags (`--name=value`), after the harness's own. */
  extraFlags?: string[];
  /** The apiserver's request timeout (`--request-timeout`), e.g. '60s' (its default). */
  requestTimeout?: string;
  /** GOGC for the apiserver process; Go's default (100) when unset. */
  gogc?: number;
  /** GOMEMLIMIT (bytes) for the apiserver process: Go's soft memory limit; none when unset. */
  goMemLimitBytes?: number;
  /**
   * Another etcd than the envtest one, e.g. Debian's etcd 3.4 (`/usr/bin/etcd`), with the flags it needs
   * beyond the harness's (3.4 logs through zap only with `--logger=zap`).
   */
  etcd?: { binary: string; extraFlags?: string[] };
  /** Milliseconds to wait for /readyz. */
  readyTimeoutMs?: number;
}

export interface ClusterUser extends KeyPairPem {
  name: string;
  groups: string[];
  /** A kubeconfig straight to the apiserver with this user's certificate. */
  kubeconfig: string;
}

export interface KubeApiserver {
  readonly url: string;
  readonly port: number;
  /** etcd's client URL (plain HTTP on loopback; its grpc-gateway answers JSON under /v3/). */
  readonly etcdUrl: string;
  readonly caPem: string;
  /** system:masters, straight to the apiserver. */
  readonly admin: KeyPairPem;
  readonly adminKubeconfig: string;
  readonly pki: ClusterPki;
  /** The temp folder with the PKI, kubeconfigs, logs and etcd's data. */
  readonly dir: string;
  readonly cgroup: MemoryCgroup | undefined;
  /** The apiserver's process id (changes after `restart`). */
  pid(): number;
  /** Resolves with the apiserver's exit code (null for a signal, e.g. the OOM killer's SIGKILL). */
  exited(): Promise<number | null>;
  /** One request, as the admin unless `cert` says otherwise (`null`: anonymous, or `headers` bearer). */
  request(path: string, opts?: FetchOptions): Promise<FetchResult>;
  /** A client certificate of the cluster CA and a kubeconfig with it. */
  createUser(name: string, groups?: string[]): Promise<ClusterUser>;
  /**
   * Compacts etcd's history up to its current revision (what the apiserver's periodic compaction does, at
   * once): `POST /v3/kv/compaction` through etcd's grpc-gateway. Resolves with that revision.
   */
  compact(): Promise<number>;
  /** Starts the apiserver again on the same port and etcd (after an OOM kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const READY_MS = 90_000;

/** Flags that make the apiserver trust a front proxy's X-Remote-* headers (listgate's requestHeader mode). */
function requestHeaderFlags(pki: ClusterPki): string[] {
  return [
    `--requestheader-client-ca-file=${pki.files.frontProxyCa}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_NAME}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    // The uid header is alpha in 1.32: the flag is refused unless its feature gate is on.
    '--requestheader-uid-headers=X-Remote-Uid',
    '--feature-gates=RemoteRequestHeaderUID=true',
  ];
}

async function etcdCall(etcdUrl: string, path: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Compacts etcd at its current revision (a physical compaction: it returns once the history is gone). */
async function compactEtcd(etcdUrl: string): Promise<number> {
  // A range read of any key returns the store's revision in its header (int64 fields are JSON strings).
  const range = await etcdCall(etcdUrl, '/v3/kv/range', { key: Buffer.from('/').toString('base64'), limit: 1 });
  const revision = Number((range['header'] as { revision?: string } | undefined)?.revision);
  if (!Number.isSafeInteger(revision) || revision < 1) throw new Error(`etcd reported no revision: ${JSON.stringify(range)}`);
  await etcdCall(etcdUrl, '/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/**
 * Starts etcd and kube-apiserver on free loopback ports. A port is free when chosen and taken when bound:
 * a server of another test file may take it in between, so a start that failed to bind is tried again
 * on new ports (the error of the last attempt, with the log's tail, when none succeeds).
 */
export async function startKubeApiserver(opts: KubeApiserverOptions = {}): Promise<KubeApiserver> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
    }
  }
}

async function startOnce(opts: KubeApiserverOptions): Promise<KubeApiserver> {
  const assets = requireEnvtestAssets();
  const dir = mkdtempSync(join(tmpdir(), 'listgate-kube-'));
  const group: ProcessGroup = createProcessGroup();
  let cgroup: MemoryCgroup | undefined;
  try {
    const pki = createClusterPki(dir);
    const [etcdPort, peerPort, port] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    await group.spawn({
      name: 'etcd',
      command: opts.etcd?.binary ?? assets.etcd,
      dir,
      args: [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync',
        // Room for hundreds of MiB of big Secrets (the default quota is 2 GiB).
        `--quota-backend-bytes=${8 * 1024 ** 3}`,
        '--log-level=warn',
        ...(opts.etcd?.extraFlags ?? []),
      ],
      ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
      timeoutMs: 30_000,
    });
    if (opts.memoryLimitBytes !== undefined) cgroup = createMemoryCgroup(`listgate-kube-${process.pid}-${port}`, opts.memoryLimitBytes);
    const flags = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--advertise-address=127.0.0.1',
      '--service-cluster-ip-range=10.96.0.0/24',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.files.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.files.serviceAccountKey}`,
      `--client-ca-file=${pki.files.clusterCa}`,
      `--tls-cert-file=${pki.files.servingCert}`,
      `--tls-private-key-file=${pki.files.servingKey}`,
      '--authorization-mode=Node,RBAC',
      ...requestHeaderFlags(pki),
      ...(opts.requestTimeout ? [`--request-timeout=${opts.requestTimeout}`] : []),
      ...(opts.extraFlags ?? []),
    ];
    const caPem = pki.clusterCa.certPem;
    const target = { port, caPem, admin: pki.admin };
    const ready = async (): Promise<boolean> => {
      const res = await fetchSim(target, '/readyz');
      return res.status === 200 && res.text.trim() === 'ok';
    };
    const env = {
      ...process.env,
      ...(opts.gogc !== undefined ? { GOGC: String(opts.gogc) } : {}),
      ...(opts.goMemLimitBytes !== undefined ? { GOMEMLIMIT: String(Math.round(opts.goMemLimitBytes)) } : {}),
    };
    const spawnApiserver = (): Promise<ServerProcess> => {
      const cmd = cgroup ? cgroup.wrapCommand(assets.kubeApiserver, flags) : { command: assets.kubeApiserver, args: flags };
      return group.spawn({ name: 'kube-apiserver', command: cmd.command, args: cmd.args, dir, env, ready, timeoutMs: opts.readyTimeoutMs ?? READY_MS });
    };
    let apiserver = await spawnApiserver();
    const url = `https://127.0.0.1:${port}`;
    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(adminKubeconfig, { name: 'envtest-admin', server: url, caPem, user: pki.admin });
    let users = 0;
    const stop = async (): Promise<void> => {
      await group.stopAll();
      await cgroup?.remove();
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      url,
      port,
      etcdUrl,
      caPem,
      admin: pki.admin,
      adminKubeconfig,
      pki,
      dir,
      cgroup,
      pid: () => apiserver.pid,
      exited: () => apiserver.exited,
      request: (path, o) => fetchSim(target, path, o),
      async createUser(name, groups = []) {
        const pair = pki.issueUser(name, groups);
        const kubeconfig = join(dir, `user-${++users}.kubeconfig`);
        await writeKubeconfig(kubeconfig, { name, server: url, caPem, user: pair });
        return { name, groups, ...pair, kubeconfig };
      },
      compact: () => compactEtcd(etcdUrl),
      async restart() {
        await apiserver.stop(5_000);
        apiserver = await spawnApiserver();
      },
      stop,
    };
  } catch (err) {
    await group.stopAll();
    await cgroup?.remove();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
