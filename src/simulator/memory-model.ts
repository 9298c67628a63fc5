/**
 * The modeled memory of in-flight LIST responses. A real apiserver (before 1.33's streaming encoders)
 * holds the whole encoded response in memory, plus what it decoded to build it, until the write completes.
 * We model that as response bytes × a factor that depends on where the list was read from and how it is
 * encoded, measured in ../shared/CALIBRATION.md ("Factors that follow" — server memory per concurrent
 * LIST ÷ response bytes; a 1.26 apiserver with etcd 3.4, 400 objects of ~1 MB):
 *
 *   JSON from etcd          4.5   (calibration row "JSON, served from etcd": 1.88 GB at N=1 … 6.54 GB at
 *                                  N=4 for a 400 MB body, ~4.2–4.7×; OOM-killed at N=8 in 10 GiB)
 *   JSON from watch cache   1.75  (row "JSON, from watch cache": ~1.5–1.8×; OOM-killed at N=16)
 *   protobuf from etcd      2.5   (row "protobuf, from etcd": ~2.2–3.0×)
 *   protobuf from cache     1.0   (row "protobuf, from watch cache": ~1× at high concurrency)
 *   paginated               each page at the etcd factor of its encoding (row "JSON, etcd, paginated
 *                           limit=50": memory follows the page, not the collection)
 *
 * With 400 secrets of 1 MiB (≈ 560 MB JSON list) and a 10 GiB limit, the etcd factor survives 4
 * concurrent unpaginated LISTs and dies at 8; the cache factor survives 8 and dies at 16; 16 concurrent
 * paginated lists (limit=50, ≈ 70 MB pages) stay far below. Streaming lists (watch-list) cost nothing here.
 *
 * A lease is taken when the response is assembled and released exactly once when the write completes or
 * the client goes away. `reset()` (the OOM kill) zeroes the gauge and voids outstanding leases.
 */

export type ListSource = 'etcd' | 'cache';
export type WireEncoding = 'json' | 'protobuf';

export const MEMORY_FACTORS: Readonly<Record<WireEncoding, Readonly<Record<ListSource, number>>>> = {
  json: { etcd: 4.5, cache: 1.75 },
  protobuf: { etcd: 2.5, cache: 1.0 },
};

export function modeledListBytes(responseBytes: number, source: ListSource, encoding: WireEncoding = 'json'): number {
  return Math.ceil(responseBytes * MEMORY_FACTORS[encoding][source]);
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
}

export function createMemoryModel(deps: MemoryModelDeps): MemoryModel {
  let inflight = 0;
  let peak = 0;
  let epoch = 0;
  return {
    acquire(bytes) {
      if (deps.limitBytes !== undefined && inflight + bytes > deps.limitBytes) {
        deps.onOom(bytes, inflight);
        return undefined;
      }
      inflight += bytes;
      peak = Math.max(peak, inflight);
      const leaseEpoch = epoch;
      let released = false;
      return {
        bytes,
        release() {
          if (released) return;
          released = true;
          if (leaseEpoch === epoch) inflight -= bytes;
        },
      };
    },
    inflight: () => inflight,
    peak: () => peak,
    reset() {
      inflight = 0;
      epoch += 1;
    },
  };
}
