/**
 * What a contract needs from an upstream (listgate's simulator or a real kube-apiserver with its etcd), and
 * small typed helpers every contract shares. Contracts (`*.contract.ts`) define describe/it blocks given a
 * function that returns the upstream started by their runner's `before`; they talk to it only over HTTPS
 * as its clients do, and reach behind it only through this interface (users, grants, tokens, compaction,
 * a restart).
 */
import assert from 'node:assert/strict';
import type { KeyPairPem } from '../../src/certs/pki.js';
import type { PolicyRule, Subject } from '../support/apiserver/cluster-objects.js';
import { fetchSim, type FetchOptions, type FetchResult } from '../support/simulator-fixture.js';

export type { PolicyRule, Subject } from '../support/apiserver/cluster-objects.js';

export interface ContractUpstream {
  /** Who answers: `simulator` or `kube-apiserver`, for messages. */
  readonly kind: 'simulator' | 'kube-apiserver';
  /** The Kubernetes minor release it behaves as, e.g. `1.32`. */
  readonly version: string;
  /** Whether it serves streaming lists (watch with sendInitialEvents=true and bookmarks). */
  readonly streamingLists: boolean;
  /**
   * Whether a consistent LIST (resourceVersion unset) is served by the watch cache (ConsistentListFromCache
   * on an etcd with progress notifications) rather than read from etcd. The simulator reads them from etcd:
   * its memory model is calibrated on that configuration (../shared/CALIBRATION.md, a 1.32 on etcd 3.4).
   */
  readonly consistentListFromCache: boolean;
  readonly port: number;
  readonly caPem: string;
  /** system:masters. */
  readonly admin: KeyPairPem;
  /** The audiences its TokenReview accepts when a review names none (kube-apiserver's --api-audiences). */
  readonly apiAudiences: readonly string[];
  /** A client certificate it accepts: CN = user, O = groups. */
  createUser(name: string, groups?: string[]): Promise<KeyPairPem>;
  /** Gives `subject` exactly `rules` (RBAC: a Role in `namespace`, or a ClusterRole without one). */
  grant(subject: Subject, rules: PolicyRule[], namespace?: string): Promise<void>;
  /** A bearer token of the service account `namespace/name` (created if needed). */
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  /**
   * Makes the API server reject every request of `user` the way API Priority and Fairness rejects a
   * request its priority level has no seat for (429).
   */
  rejectRequestsOf(user: string): Promise<void>;
  /** Compacts the storage's history up to its current revision. */
  compact(): Promise<void>;
  /** Restarts the API server process; the storage keeps its data, the watch cache starts over. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** One request to the upstream, as the admin unless `opts.cert` says otherwise. */
export function send(up: ContractUpstream, path: string, opts: FetchOptions = {}): Promise<FetchResult> {
  return fetchSim(up, path, opts);
}

export interface StatusBody {
  kind: string;
  apiVersion: string;
  metadata: { continue?: string };
  status: string;
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ObjectList {
  kind: string;
  apiVersion: string;
  metadata: ListMeta;
  items: { kind?: string; apiVersion?: string; metadata: ObjectMeta; data?: Record<string, string> }[];
}

/** GET that must answer 200 with JSON. */
export async function getJson<T>(up: ContractUpstream, path: string, opts: FetchOptions = {}): Promise<T> {
  const res = await send(up, path, opts);
  assert.equal(res.status, 200, `GET ${path} on the ${up.kind}: ${res.text.slice(0, 500)}`);
  return res.json as T;
}

/** A request that must fail with `code`: its Status body. */
export async function expectStatus(up: ContractUpstream, path: string, code: number, opts: FetchOptions = {}): Promise<StatusBody & { headers: FetchResult['headers'] }> {
  const res = await send(up, path, opts);
  assert.equal(res.status, code, `${opts.method ?? 'GET'} ${path} on the ${up.kind}: ${res.text.slice(0, 500)}`);
  assert.equal(res.headers['content-type'], 'application/json', 'a Status is JSON');
  return { ...(res.json as StatusBody), headers: res.headers };
}

export const names = (list: ObjectList): string[] => list.items.map((i) => i.metadata.name);

export async function createNamespace(up: ContractUpstream, name: string): Promise<void> {
  const res = await send(up, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  assert.ok(res.status === 201 || res.status === 409, `creating namespace ${name} on the ${up.kind}: ${res.status} ${res.text.slice(0, 300)}`);
}

/** Creates a ConfigMap; resolves with its resourceVersion. */
export async function createConfigMap(up: ContractUpstream, namespace: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await send(up, `/api/v1/namespaces/${namespace}/configmaps`, {
    method: 'POST',
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { key: name } },
  });
  assert.equal(res.status, 201, `creating configmap ${namespace}/${name} on the ${up.kind}: ${res.text.slice(0, 300)}`);
  return Number((res.json as { metadata: ObjectMeta }).metadata.resourceVersion);
}

/** The collection's current resourceVersion (a LIST's). */
export async function listRv(up: ContractUpstream, path: string): Promise<number> {
  return Number((await getJson<ObjectList>(up, path)).metadata.resourceVersion);
}

/** The JSON of a continue token (unpadded base64url). */
export function decodeToken(token: string): { v: string; rv: number; start: string } {
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: string; rv: number; start: string };
}
