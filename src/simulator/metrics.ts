/**
 * The simulator's /metrics, as the profile's kube-apiserver publishes them (names, labels and help texts of
 * a real v1.32.6, see version-profile.ts):
 * - `apiserver_storage_objects{resource}` (k8s.io/apiserver/pkg/storage/etcd3/metrics), live counts;
 * - `apiserver_storage_list_total{resource}` and `apiserver_cache_list_total{index,resource_prefix}`: LISTs
 *   served from etcd and from the watch cache (list-read.ts decides which);
 * - `apiserver_watch_cache_consistent_read_total{fallback,resource,success}`: consistent reads served by the
 *   watch cache, published but never counted, since the simulator reads them from etcd;
 * - with the 1.34 profile, `apiserver_resource_objects{group,resource}` and
 *   `apiserver_resource_size_estimate_bytes{group,resource}`;
 * - `apiserver_terminated_watchers_total{resource}`: watchers closed for not reading (watch-sink.ts);
 * - `apiserver_request_total`, `kubernetes_feature_enabled{name="WatchList"}`, process metrics, and
 *   `go_memstats_heap_inuse_bytes`, the simulated heap: this process's heap plus the modeled LIST memory;
 * - the simulator's own `simulator_*` gauges (modeled in-flight memory) and OOM-kill counter.
 * Everything lives in an injected Registry, never prom-client's global one.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ListSource, MemoryModel } from './memory-model.js';
import { isStored, RESOURCES, type ResourceDef } from './resources.js';
import type { Store } from './store.js';
import type { VersionProfile } from './version-profile.js';

export interface SimulatorMetrics {
  registry: Registry;
  /** verb as apiserver_request_total writes it: LIST, WATCH, GET, POST, PUT, PATCH, DELETE, CONNECT. */
  countRequest(verb: string, resource: string, code: number): void;
  /** One LIST served from etcd or the watch cache. */
  countList(def: ResourceDef, source: ListSource): void;
  /** A watcher closed because it did not read (apiserver_terminated_watchers_total). */
  countTerminatedWatcher(def: ResourceDef): void;
  countOomKill(): void;
  oomKills(): number;
}

/** `secrets` for core, `deployments.apps` for groups, as apiserver_storage_objects labels them. */
function storageResourceLabel(def: ResourceDef): string {
  return def.group ? `${def.resource}.${def.group}` : def.resource;
}

/** The watch cache's resource prefix: `/secrets`, `/deployments` (the registry's etcd key prefix). */
function cachePrefixLabel(def: ResourceDef): string {
  return `/${def.resource}`;
}

export interface SimulatorMetricsDeps {
  store: Store;
  memory: MemoryModel;
  watchList: boolean;
  profile: VersionProfile;
  registry?: Registry;
}

function registerStorageGauges(registry: Registry, deps: SimulatorMetricsDeps): void {
  const stored = RESOURCES.filter((def) => isStored(def) && def.copyOf === undefined);
  new Gauge({
    name: 'apiserver_storage_objects',
    help: '[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ resource: storageResourceLabel(def) }, deps.store.stats(def).objects);
    },
  });
  if (!deps.profile.resourceSizeMetrics) return;
  new Gauge({
    name: 'apiserver_resource_objects',
    help: '[ALPHA] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
    labelNames: ['group', 'resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ group: def.group, resource: def.resource }, deps.store.stats(def).objects);
    },
  });
  new Gauge({
    name: 'apiserver_resource_size_estimate_bytes',
    help: '[ALPHA] Estimated size of stored objects in database. Estimate is based on sum of last observed sizes of serialized objects. In case of a fetching error, the value will be -1.',
    labelNames: ['group', 'resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ group: def.group, resource: def.resource }, deps.store.stats(def).bytes);
    },
  });
}

function registerSimulatorGauges(registry: Registry, deps: SimulatorMetricsDeps): void {
  new Gauge({
    name: 'simulator_inflight_response_bytes',
    help: 'Modeled memory held by LIST responses in flight (response bytes times the calibration factor).',
    registers: [registry],
    collect() {
      this.set(deps.memory.inflight());
    },
  });
  new Gauge({
    name: 'simulator_peak_inflight_response_bytes',
    help: 'Highest modeled in-flight LIST memory since start.',
    registers: [registry],
    collect() {
      this.set(deps.memory.peak());
    },
  });
  new Gauge({
    name: 'go_memstats_heap_inuse_bytes',
    help: 'Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().heapUsed + deps.memory.inflight());
    },
  });
  // component-base/metrics/prometheus/feature: how a client can tell whether streaming lists are served.
  new Gauge({
    name: 'kubernetes_feature_enabled',
    help: '[BETA] This metric records the data about the stage and enablement of a k8s feature.',
    labelNames: ['name', 'stage'],
    registers: [registry],
    collect() {
      this.set({ name: 'WatchList', stage: 'BETA' }, deps.watchList ? 1 : 0);
    },
  });
}

export function createSimulatorMetrics(deps: SimulatorMetricsDeps): SimulatorMetrics {
  const registry = deps.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });
  registerStorageGauges(registry, deps);
  registerSimulatorGauges(registry, deps);
  const storageLists = new Counter({
    name: 'apiserver_storage_list_total',
    help: '[ALPHA] Number of LIST requests served from storage',
    labelNames: ['resource'],
    registers: [registry],
  });
  const cacheLists = new Counter({
    name: 'apiserver_cache_list_total',
    help: '[ALPHA] Number of LIST requests served from watch cache',
    labelNames: ['index', 'resource_prefix'],
    registers: [registry],
  });
  new Counter({
    name: 'apiserver_watch_cache_consistent_read_total',
    help: '[ALPHA] Counter for consistent reads from cache.',
    labelNames: ['fallback', 'resource', 'success'],
    registers: [registry],
  });
  const terminated = new Counter({
    name: 'apiserver_terminated_watchers_total',
    help: '[ALPHA] Counter of watchers closed due to unresponsiveness broken by resource type.',
    labelNames: ['resource'],
    registers: [registry],
  });
  const oom = new Counter({
    name: 'simulator_oom_kills_total',
    help: 'Times the modeled in-flight memory passed the limit and the simulated apiserver was killed.',
    registers: [registry],
  });
  const requests = new Counter({
    name: 'apiserver_request_total',
    help: '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  });
  let kills = 0;
  return {
    registry,
    countRequest(verb, resource, code) {
      requests.inc({ verb, resource, code: String(code) });
    },
    countList(def, source) {
      if (source === 'cache') cacheLists.inc({ index: '', resource_prefix: cachePrefixLabel(def) });
      else storageLists.inc({ resource: storageResourceLabel(def) });
    },
    countTerminatedWatcher(def) {
      terminated.inc({ resource: storageResourceLabel(def) });
    },
    countOomKill() {
      kills += 1;
      oom.inc();
    },
    oomKills: () => kills,
  };
}
