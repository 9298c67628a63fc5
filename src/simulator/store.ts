/**
 * The simulator's etcd: one global revision counter, a history of versions per key (so reads at an older
 * revision work until compaction, like etcd's MVCC), a per-resource window of events that watches replay
 * from (the watch cache's, event-window.ts: compaction leaves it alone, a restart starts it over), and
 * synchronous change notification. Keys sort like etcd keys under /registry/<resource>/: `<ns>/<name>` for
 * namespaced objects, `<name>` otherwise. Each version keeps its cached JSON encoding.
 */
import { encodeItem } from './encoding.js';
import { createEventWindow, type EventWindow } from './event-window.js';
import type { KubeObject } from './kube-object.js';
import type { ResourceDef } from './resources.js';

export interface StoredVersion {
  readonly rv: number;
  readonly key: string;
  /** The object as served, metadata.resourceVersion = String(rv). Never mutate it. */
  readonly obj: KubeObject;
  /** A tombstone: the object's last state, at the revision that deleted it. */
  readonly deleted: boolean;
  /** Cached list-item JSON (no kind/apiVersion). */
  readonly item: Buffer;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly version: StoredVersion;
  readonly prev?: StoredVersion;
}

export type StoreListener = (event: StoreEvent) => void;

interface Table {
  chains: Map<string, StoredVersion[]>;
  /** Sorted keys that have a chain (live or with history). */
  keys: string[];
  events: EventWindow<StoreEvent>;
  listeners: Set<StoreListener>;
  live: number;
  liveBytes: number;
}

export interface Store {
  currentRv(): number;
  compactedRv(): number;
  /** The oldest revision a watch of `def` may start from (the watch cache's start, or its oldest event). */
  watchFloorRv(def?: ResourceDef): number;
  /** Drops history up to `rv` (default: the current revision), like an etcd compaction. */
  compact(rv?: number): void;
  /** Forgets the watch history, as a restarted apiserver's new watch cache does. */
  restartWatchWindow(): void;
  get(def: ResourceDef, key: string): StoredVersion | undefined;
  /** Live versions at `atRv` in key order, from `fromKey` on, within `prefix`. */
  scan(def: ResourceDef, atRv: number, prefix: string, fromKey?: string): Generator<StoredVersion>;
  /** Writes a new version (create or update); the store sets metadata.resourceVersion. */
  put(def: ResourceDef, key: string, obj: KubeObject): StoredVersion;
  /** Deletes the key; returns the tombstone (the last state at the deleting revision). */
  remove(def: ResourceDef, key: string): StoredVersion | undefined;
  /** Events after `rv`, or undefined when that history is gone (410). */
  eventsSince(def: ResourceDef, rv: number): StoreEvent[] | undefined;
  subscribe(def: ResourceDef, listener: StoreListener): () => void;
  /** Resolves true once the revision reaches `rv`, false after `timeoutMs`. */
  waitForRv(rv: number, timeoutMs: number): Promise<boolean>;
  stats(def: ResourceDef): { objects: number; bytes: number };
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function versionAt(chain: StoredVersion[], atRv: number): StoredVersion | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    if (chain[i]!.rv <= atRv) return chain[i]!.deleted ? undefined : chain[i];
  }
  return undefined;
}

export function createStore(opts: { now?: () => number } = {}): Store {
  const now = opts.now ?? Date.now;
  const tables = new Map<string, Table>();
  let rv = 1;
  let compacted = 0;
  let watchFloor = 0;
  const waiters = new Set<{ rv: number; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }>();

  const table = (def: ResourceDef): Table => {
    const id = `${def.group}/${def.resource}`;
    let t = tables.get(id);
    if (!t) {
      t = { chains: new Map(), keys: [], events: createEventWindow({ floorRv: watchFloor, now }), listeners: new Set(), live: 0, liveBytes: 0 };
      tables.set(id, t);
    }
    return t;
  };

  const record = (t: Table, event: StoreEvent): void => {
    t.events.push(event, event.version.rv);
    for (const listener of [...t.listeners]) listener(event);
    for (const w of waiters) {
      if (rv >= w.rv) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.resolve(true);
      }
    }
  };

  const newVersion = (key: string, obj: KubeObject, deleted: boolean): StoredVersion => {
    rv += 1;
    const stamped: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    return { rv, key, obj: stamped, deleted, item: encodeItem(stamped) };
  };

  return {
    currentRv: () => rv,
    compactedRv: () => compacted,
    watchFloorRv: (def) => (def ? table(def).events.floor() : watchFloor),
    compact(to = rv) {
      if (to <= compacted) return;
      compacted = Math.min(to, rv);
      for (const t of tables.values()) {
        let dropped = false;
        for (const [key, chain] of t.chains) {
          let keep = chain.length - 1;
          while (keep > 0 && chain[keep]!.rv > compacted) keep--;
          if (keep > 0) chain.splice(0, keep);
          if (chain[0]!.rv <= compacted && chain[0]!.deleted) chain.shift();
          if (chain.length === 0) {
            t.chains.delete(key);
            dropped = true;
          }
        }
        if (dropped) t.keys = t.keys.filter((k) => t.chains.has(k));
      }
    },
    restartWatchWindow() {
      watchFloor = rv;
      for (const t of tables.values()) t.events.reset(rv);
    },
    get(def, key) {
      const chain = table(def).chains.get(key);
      const last = chain?.[chain.length - 1];
      return last && !last.deleted ? last : undefined;
    },
    *scan(def, atRv, prefix, fromKey) {
      const t = table(def);
      const keys = t.keys;
      const start = fromKey !== undefined && fromKey > prefix ? fromKey : prefix;
      for (let i = lowerBound(keys, start); i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        const v = versionAt(t.chains.get(key)!, atRv);
        if (v) yield v;
      }
    },
    put(def, key, obj) {
      const t = table(def);
      let chain = t.chains.get(key);
      if (!chain) {
        chain = [];
        t.chains.set(key, chain);
        t.keys.splice(lowerBound(t.keys, key), 0, key);
      }
      const prev = chain[chain.length - 1];
      const live = prev && !prev.deleted ? prev : undefined;
      const version = newVersion(key, obj, false);
      chain.push(version);
      t.live += live ? 0 : 1;
      t.liveBytes += version.item.length - (live ? live.item.length : 0);
      record(t, live ? { type: 'MODIFIED', version, prev: live } : { type: 'ADDED', version });
      return version;
    },
    remove(def, key) {
      const t = table(def);
      const chain = t.chains.get(key);
      const live = chain?.[chain.length - 1];
      if (!chain || !live || live.deleted) return undefined;
      const tombstone = newVersion(key, live.obj, true);
      chain.push(tombstone);
      t.live -= 1;
      t.liveBytes -= live.item.length;
      record(t, { type: 'DELETED', version: tombstone, prev: live });
      return tombstone;
    },
    eventsSince(def, since) {
      return table(def).events.since(since);
    },
    subscribe(def, listener) {
      const t = table(def);
      t.listeners.add(listener);
      return () => t.listeners.delete(listener);
    },
    waitForRv(target, timeoutMs) {
      if (rv >= target) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = {
          rv: target,
          resolve,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            resolve(false);
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    stats(def) {
      const t = table(def);
      return { objects: t.live, bytes: t.liveBytes };
    },
  };
}
