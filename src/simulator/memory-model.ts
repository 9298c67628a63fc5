/**
 * The modeled memory of in-flight LIST responses. A real apiserver (before 1.33's streaming encoders)
 * holds the whole encoded response in memory, plus what it decoded to build it, until the write completes,
 * and Go's collector lets the heap grow to twice what was live before it collects. We model that as
 * response bytes × a factor by where the list was read from and how it is encoded, measured on
 * kube-apiserver 1.32.6 (../shared/CALIBRATION.md, "A real kube-apiserver 1.32.6": 406 Secrets of ~900 KB,
 * a 469 MiB JSON LIST; server memory per concurrent LIST ÷ response bytes, LISTs back to back; and the
 * storm-kube bench's single LISTs, docs/benchmarks.md), the estimator's 1.32 profile:
 *
 *   JSON from etcd          6.0   (consistent LIST on etcd 3.4: +2.9 GiB at N=1, +5.2 GiB at N=2, ~5.6–6.2×;
 *                                  single LISTs 4.6–5.1× whole, 6.3–6.5× per continued page)
 *   JSON from watch cache   2.4   (resourceVersion=0: +1.2 GiB at N=1 … +3.7 GiB at N=4, ~2.0–2.6×; single
 *                                  LISTs 2.0× at 465 MiB, 2.65–2.7× at 114–117 MiB)
 *   protobuf from etcd      4.4   (+2.0 GiB at N=1)
 *   protobuf from cache     1.3   (single LIST: 1.06× at 349 MiB)
 *   paginated               each page at the etcd factor of its encoding ("memory follows the page")
 *   above 128 MiB            less per byte, to 0.82 of the factor at 320 MiB (LARGE_RESPONSE)
 *
 * What a response leaves behind when it ends is garbage until the collector runs: its bytes stay counted,
 * decaying to nothing over `gcHoldMs` (the gateway's admission.holdOver models the same).
 *
 * A lease is taken when the response is assembled and released exactly once when the write completes or
 * the client goes away. `reset()` (the OOM kill) zeroes the gauge and voids outstanding leases.
 */

import { largeResponseScale, type LargeResponseScale } from '../estimate/factors.js';

export type ListSource = 'etcd' | 'cache';
export type WireEncoding = 'json' | 'protobuf';

export const MEMORY_FACTORS: Readonly<Record<WireEncoding, Readonly<Record<ListSource, number>>>> = {
  json: { etcd: 6.0, cache: 2.4 },
  protobuf: { etcd: 4.4, cache: 1.3 },
};

/**
 * A response above 128 MiB holds less per byte, down to 0.82 of the factor at 320 MiB and beyond (log-linear
 * in between): Go collects while a response too large for its heap's headroom is built (the storm-kube
 * bench on 1.32.6: JSON from the cache 2.64–2.7× at 114–117 MiB, 1.94–1.96× at 465 MiB; protobuf 1.06× at
 * 349 MiB; a whole Exact read from etcd 4.56–5.11× at 465 MiB).
 */
export const LARGE_RESPONSE: LargeResponseScale = { fromBytes: 128 * 2 ** 20, toBytes: 320 * 2 ** 20, scale: 0.82 };

export function modeledListBytes(responseBytes: number, source: ListSource, encoding: WireEncoding = 'json'): number {
  return Math.ceil(responseBytes * MEMORY_FACTORS[encoding][source] * largeResponseScale(LARGE_RESPONSE, responseBytes));
}

export interface MemoryLease {
  readonly bytes: number;
  /** Idempotent: only the first call subtracts. */
  release(): void;
}

export interface MemoryModel {
  /** Takes a lease, or returns undefined after calling `onOom` when the limit would be passed. */
  acquire(bytes: number): MemoryLease | undefined;
  inflight(): number;
  peak(): number;
  /** The process died: nothing is in flight any more, and old leases release nothing. */
  reset(): void;
}

export interface MemoryModelDeps {
  limitBytes?: number;
  onOom: (wanted: number, inflight: number) => void;
  /** How long an ended response's bytes stay counted, decaying (Go's garbage until the next collection). */
  gcHoldMs?: number;
  now?: () => number;
}

export function createMemoryModel(deps: MemoryModelDeps): MemoryModel {
  const now = deps.now ?? Date.now;
  const holdMs = deps.gcHoldMs ?? 0;
  let live = 0;
  let peak = 0;
  let epoch = 0;
  let garbage: Array<{ bytes: number; at: number }> = [];
  const garbageBytes = (): number => {
    if (holdMs <= 0) return 0;
    const t = now();
    garbage = garbage.filter((g) => t - g.at < holdMs);
    return garbage.reduce((sum, g) => sum + g.bytes * (1 - (t - g.at) / holdMs), 0);
  };
  const inflight = (): number => live + garbageBytes();
  return {
    acquire(bytes) {
      const held = inflight();
      if (deps.limitBytes !== undefined && held + bytes > deps.limitBytes) {
        deps.onOom(bytes, held);
        return undefined;
      }
      live += bytes;
      peak = Math.max(peak, held + bytes);
      const leaseEpoch = epoch;
      let released = false;
      return {
        bytes,
        release() {
          if (released) return;
          released = true;
          if (leaseEpoch !== epoch) return;
          live -= bytes;
          if (holdMs > 0) garbage.push({ bytes, at: now() });
        },
      };
    },
    inflight,
    peak: () => peak,
    reset() {
      live = 0;
      garbage = [];
      epoch += 1;
    },
  };
}
