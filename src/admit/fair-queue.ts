/**
 * One priority level's queue, fair across flows by bytes: self-clocked fair queuing (Golestani 1994),
 * the idea API Priority and Fairness's fair queuing also builds on, with a request's estimated bytes as
 * its size. Each request gets a virtual start tag S = max(V, the finish tag of its flow's previous
 * request) and finish tag F = S + bytes; the queue serves the smallest F among flow heads and V follows
 * the start tag of what was served. Requests served without waiting are charged too (`charge`), so a
 * flow that has just had a large lease starts behind flows that had little, and one tenant's relist
 * storm only ever delays its own flow.
 *
 * Virtual time also follows the work done: the budget advances it by the bytes of every lease released
 * (`advance`, never past the start tag of a request still waiting), so a flow's history counts only while
 * it is ahead of what the level has finished: a flow holding a large lease waits behind others, and once
 * its lease is back it stands level with them again. Without that, a flow that once had a large lease
 * would stay behind for as long as nobody queued.
 *
 * Clients returning at the time their 429 told them (`returning`) go first, in the order they were given
 * their times; they are charged like everyone else. A request that leaves unserved (timeout, client gone)
 * is refunded: its flow's later requests move up by its bytes. Pure data structure, no timers.
 */

export interface QueueEntry<T> {
  readonly item: T;
  readonly flow: string;
  readonly bytes: number;
  readonly returning: boolean;
  start: number;
  finish: number;
  readonly seq: number;
}

export interface FairQueue<T> {
  readonly length: number;
  readonly bytes: number;
  /** Requests a flow has waiting. */
  flowLength(flow: string): number;
  /** Bytes waiting in the returning lane (what a returning client would wait behind). */
  readonly returningBytes: number;
  /** Charges a flow for bytes it was given without waiting. */
  charge(flow: string, bytes: number): void;
  /** Moves virtual time up to `virtualTime` (the bytes of the leases the level has released so far), but not past a waiting request. */
  advance(virtualTime: number): void;
  push(flow: string, bytes: number, item: T, opts?: { returning?: boolean }): QueueEntry<T>;
  /** The entry served next, without removing it. */
  peek(): QueueEntry<T> | undefined;
  /** Removes and returns the entry served next. */
  shift(): QueueEntry<T> | undefined;
  /**
   * Removes `entry` as served (virtual time moves to its start, as `shift` does): for an entry that was
   * the head when its lease was asked for elsewhere; false when it is no longer queued.
   */
  serve(entry: QueueEntry<T>): boolean;
  /** Takes out an entry that leaves unserved; false when it was not queued. */
  remove(entry: QueueEntry<T>): boolean;
  /** Removes everything (shutdown). */
  clear(): T[];
  /** Flows whose history is still kept (those ahead of virtual time); bounded, however many flows come and go. */
  readonly trackedFlows: number;
}

/** Past this many flows with history, idle ones are forgotten on every charge too, not only on dispatch. */
const FORGET_ABOVE = 256;

export function createFairQueue<T>(): FairQueue<T> {
  let virtualTime = 0;
  let seq = 0;
  let length = 0;
  let bytes = 0;
  let returningBytes = 0;
  const lastFinish = new Map<string, number>();
  const flows = new Map<string, QueueEntry<T>[]>();
  const returning: QueueEntry<T>[] = [];

  const tag = (flow: string, size: number): { start: number; finish: number } => {
    const start = Math.max(virtualTime, lastFinish.get(flow) ?? 0);
    lastFinish.set(flow, start + size);
    return { start, finish: start + size };
  };

  const forgetIdleFlows = () => {
    for (const [flow, finish] of lastFinish) {
      if (finish <= virtualTime && !flows.has(flow)) lastFinish.delete(flow);
    }
  };

  const peek = (): QueueEntry<T> | undefined => {
    if (returning.length > 0) return returning[0];
    let best: QueueEntry<T> | undefined;
    for (const queue of flows.values()) {
      const head = queue[0]!;
      if (best === undefined || head.finish < best.finish || (head.finish === best.finish && head.seq < best.seq)) best = head;
    }
    return best;
  };

  const take = (entry: QueueEntry<T>): boolean => {
    if (entry.returning) {
      const i = returning.indexOf(entry);
      if (i === -1) return false;
      returning.splice(i, 1);
      returningBytes -= entry.bytes;
    } else {
      const queue = flows.get(entry.flow);
      const i = queue?.indexOf(entry) ?? -1;
      if (queue === undefined || i === -1) return false;
      queue.splice(i, 1);
      if (queue.length === 0) flows.delete(entry.flow);
    }
    length -= 1;
    bytes -= entry.bytes;
    return true;
  };

  return {
    get length() {
      return length;
    },
    get bytes() {
      return bytes;
    },
    get returningBytes() {
      return returningBytes;
    },
    get trackedFlows() {
      return lastFinish.size;
    },
    flowLength: (flow) => (flows.get(flow)?.length ?? 0) + returning.filter((e) => e.flow === flow).length,
    charge(flow, size) {
      const { start } = tag(flow, size);
      virtualTime = Math.max(virtualTime, start);
      if (lastFinish.size > FORGET_ABOVE) forgetIdleFlows();
    },
    advance(to) {
      // Never past what still waits: queued requests keep their place ahead of newcomers.
      let limit = to;
      for (const e of returning) limit = Math.min(limit, e.start);
      for (const queue of flows.values()) limit = Math.min(limit, queue[0]!.start);
      if (limit <= virtualTime) return;
      virtualTime = limit;
      forgetIdleFlows();
    },
    push(flow, size, item, opts = {}) {
      const entry: QueueEntry<T> = { item, flow, bytes: size, returning: opts.returning === true, ...tag(flow, size), seq: seq++ };
      if (entry.returning) {
        returning.push(entry);
        returningBytes += size;
      } else {
        const queue = flows.get(flow);
        if (queue) queue.push(entry);
        else flows.set(flow, [entry]);
      }
      length += 1;
      bytes += size;
      return entry;
    },
    peek,
    shift() {
      const entry = peek();
      if (entry === undefined) return undefined;
      take(entry);
      virtualTime = Math.max(virtualTime, entry.start);
      forgetIdleFlows();
      return entry;
    },
    serve(entry) {
      if (!take(entry)) return false;
      virtualTime = Math.max(virtualTime, entry.start);
      forgetIdleFlows();
      return true;
    },
    remove(entry) {
      if (!take(entry)) return false;
      // Refund: the flow's requests after this one move up by its bytes.
      const later = [...(flows.get(entry.flow) ?? []), ...returning.filter((e) => e.flow === entry.flow)].filter((e) => e.seq > entry.seq);
      for (const e of later) {
        e.start -= entry.bytes;
        e.finish -= entry.bytes;
      }
      const last = lastFinish.get(entry.flow);
      if (last !== undefined) lastFinish.set(entry.flow, last - entry.bytes);
      return true;
    },
    clear() {
      const items = [...returning, ...[...flows.values()].flat()].map((e) => e.item);
      returning.length = 0;
      flows.clear();
      length = 0;
      bytes = 0;
      returningBytes = 0;
      return items;
    },
  };
}
