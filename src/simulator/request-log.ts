/**
 * The last requests the simulator saw (a ring buffer), with the identity it authenticated and the status
 * code it answered, so tests can assert what reached the "apiserver" and as whom.
 */

export interface SeenRequest {
  method: string;
  path: string;
  user: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  code?: number;
  /** The request headers as received (raw name/value list), when the simulator records them. */
  headers?: string[];
}

export interface RequestLog {
  add(entry: SeenRequest): SeenRequest;
  list(): ReadonlyArray<SeenRequest>;
}

export function createRequestLog(capacity = 10_000): RequestLog {
  const ring: SeenRequest[] = [];
  let next = 0;
  return {
    add(entry) {
      if (ring.length < capacity) ring.push(entry);
      else ring[next] = entry;
      next = (next + 1) % capacity;
      return entry;
    },
    list() {
      return ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)];
    },
  };
}
