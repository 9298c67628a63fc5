/**
 * The simulator's /metrics: the apiserver's own object-count and size metrics (apiserver_storage_objects
 * from k8s.io/apiserver/pkg/storage/etcd3/metrics, apiserver_resource_size_estimate_bytes, and
 * apiserver_resource_objects), apiserver_request_total, the modeled in-flight memory and OOM kills, and
 * process metrics. Everything lives in an injected Registry, never prom-client's global one.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { MemoryModel } from './memory-model.js';
import { isStored, RESOURCES, type ResourceDef } from './resources.js';
import type { Store } from './store.js';

export interface SimulatorMetrics {
  registry: Registry;
  /** verb as apiserver_request_total writes it: LIST, WATCH, GET, POST, PUT, PATCH, DELETE, CONNECT. */
  countRequest(verb: string, resource: string, code: number): void;
  countOomKill(): void;
  oomKills(): number;
}

/** `secrets` for core, `deployments.apps` for groups, as apiserver_storage_objects labels them. */
function storageResourceLabel(def: ResourceDef): string {
  return def.group ? `${def.resource}.${def.group}` : def.resource;
}

export function createSimulatorMetrics(deps: { store: Store; memory: MemoryModel; watchList: boolean; registry?: Registry }): SimulatorMetrics {
  const registry = deps.registry ?? new Registry();
  const stored = RESOURCES.filter(isStored);
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'apiserver_storage_objects',
    help: 'Number of stored objects at the time of last check split by kind.',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ resource: storageResourceLabel(def) }, deps.store.stats(def).objects);
    },
  });
  new Gauge({
    name: 'apiserver_resource_objects',
    help: 'Number of stored objects per group and resource.',
    labelNames: ['group', 'resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ group: def.group, resource: def.resource }, deps.store.stats(def).objects);
    },
  });
  new Gauge({
    name: 'apiserver_resource_size_estimate_bytes',
    help: 'Estimated size of stored objects in the database (average object size times count).',
    labelNames: ['group', 'resource'],
    registers: [registry],
    collect() {
      for (const def of stored) this.set({ group: def.group, resource: def.resource }, deps.store.stats(def).bytes);
    },
  });
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
  // component-base/metrics/prometheus/feature: how a client can tell whether streaming lists are served.
  new Gauge({
    name: 'kubernetes_feature_enabled',
    help: 'This metric records the data about the stage and enablement of a k8s feature.',
    labelNames: ['name', 'stage'],
    registers: [registry],
    collect() {
      this.set({ name: 'WatchList', stage: 'BETA' }, deps.watchList ? 1 : 0);
    },
  });
  const oom = new Counter({
    name: 'simulator_oom_kills_total',
    help: 'Times the modeled in-flight memory passed the limit and the simulated apiserver was killed.',
    registers: [registry],
  });
  const requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out for each verb, resource and HTTP response code.',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  });
  let kills = 0;
  return {
    registry,
    countRequest(verb, resource, code) {
      requests.inc({ verb, resource, code: String(code) });
    },
    countOomKill() {
      kills += 1;
      oom.inc();
    },
    oomKills: () => kills,
  };
}
