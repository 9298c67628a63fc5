/**
 * Staggered return times for rejected requests. A 429 tells the client when to come back in whole
 * seconds (client-go parses Retry-After with strconv.Atoi and retries up to 10 times). Instead of telling
 * every rejected client the same number, which brings them back as a herd, each gets a ticket in the
 * first second (per priority level) that still has room, where a second's room is what the level drains
 * per second: return times come out distinct when requests are large, and the seconds fill in order.
 *
 * A request that comes back inside its ticket's window (a little early to a few seconds late) claims
 * the ticket and is served before newcomers; while a window is open and unclaimed, the ticket's bytes are
 * held back from newcomers, so the capacity its holder was promised is still there when it arrives.
 * Tickets are keyed by who asked for what (user, method, target): client-go retries the same request.
 * Pure: time is passed in.
 */

export interface Ticket {
  readonly key: string;
  readonly level: string;
  readonly bytes: number;
  /** When the client was told to return (ms on the admission clock). */
  readonly dueAt: number;
}

export interface RetryCalendar {
  /** Gives a rejected request its return time in whole seconds, at least `earliestSeconds`, at most the cap. */
  schedule(req: { key: string; level: string; bytes: number; earliestSeconds: number; bytesPerSecond: number; now: number }): number;
  /** The earliest ticket of `key` whose window is open now, removed from the calendar. */
  claim(key: string, now: number): Ticket | undefined;
  /** Bytes held back for the level: tickets whose window is open and that nobody claimed yet. */
  heldBytes(level: string, now: number): number;
  /** The next time a window opens or closes after `now` (for a timer), or undefined. */
  nextChangeAt(now: number): number | undefined;
  /** Tickets not yet claimed or expired. */
  readonly size: number;
  /** A reload's new cap; tickets already given keep their times. */
  setMaxSeconds(seconds: number): void;
  clear(): void;
}

export interface RetryCalendarOptions {
  maxSeconds: number;
  /** How early a returning client may arrive (ms before its time). */
  earlyMs?: number;
  /** How late it may arrive and still be served first. */
  graceMs?: number;
}

export function createRetryCalendar(opts: RetryCalendarOptions): RetryCalendar {
  let maxSeconds = opts.maxSeconds;
  const earlyMs = opts.earlyMs ?? 500;
  const graceMs = opts.graceMs ?? 2_000;
  let tickets: Ticket[] = [];
  /** Bytes promised per level and absolute second. */
  const booked = new Map<string, number>();

  const opensAt = (t: Ticket) => t.dueAt - earlyMs;
  const closesAt = (t: Ticket) => t.dueAt + graceMs;
  const slotKey = (level: string, second: number) => `${level}\u0000${second}`;

  const prune = (now: number) => {
    tickets = tickets.filter((t) => closesAt(t) >= now);
    const current = Math.floor(now / 1000);
    for (const key of booked.keys()) {
      if (Number(key.slice(key.indexOf('\u0000') + 1)) < current) booked.delete(key);
    }
  };

  return {
    schedule({ key, level, bytes, earliestSeconds, bytesPerSecond, now }) {
      prune(now);
      const first = Math.min(maxSeconds, Math.max(1, Math.ceil(earliestSeconds)));
      let seconds = maxSeconds;
      for (let s = first; s <= maxSeconds; s++) {
        const used = booked.get(slotKey(level, Math.floor((now + s * 1000) / 1000))) ?? 0;
        if (used === 0 || used + bytes <= bytesPerSecond) {
          seconds = s;
          break;
        }
      }
      const slot = slotKey(level, Math.floor((now + seconds * 1000) / 1000));
      booked.set(slot, (booked.get(slot) ?? 0) + bytes);
      tickets.push({ key, level, bytes, dueAt: now + seconds * 1000 });
      return seconds;
    },
    claim(key, now) {
      prune(now);
      let best: Ticket | undefined;
      for (const t of tickets) {
        if (t.key === key && opensAt(t) <= now && (best === undefined || t.dueAt < best.dueAt)) best = t;
      }
      if (best) tickets = tickets.filter((t) => t !== best);
      return best;
    },
    heldBytes(level, now) {
      let held = 0;
      for (const t of tickets) {
        if (t.level === level && opensAt(t) <= now && closesAt(t) >= now) held += t.bytes;
      }
      return held;
    },
    nextChangeAt(now) {
      let next: number | undefined;
      for (const t of tickets) {
        for (const at of [opensAt(t), closesAt(t) + 1]) {
          if (at > now && (next === undefined || at < next)) next = at;
        }
      }
      return next;
    },
    get size() {
      return tickets.length;
    },
    setMaxSeconds(seconds) {
      maxSeconds = seconds;
    },
    clear() {
      tickets = [];
      booked.clear();
    },
  };
}
