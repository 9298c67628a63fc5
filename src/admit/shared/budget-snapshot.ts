/**
 * What a replica knows of the shared budget between two calls to Redis: every script answers with each
 * level's usage over all replicas and over the others (redis-scripts.ts `snapshot`), read here into a
 * snapshot stamped with the replica's own clock. The others' held-over bytes are taken to decay linearly
 * to nothing by the time the newest of their residues has aged out (`othersHeldUntil`): never less than
 * the true residue (every older residue decays at least that fast relative to its weight, and exactly so
 * when there is one), so the view errs on the side of the budget; Redis, which decides, computes them
 * exactly. A release announced on the channel is applied to the view at once. Pure: time is passed in.
 */

export interface LevelTotals {
  readonly inUse: number;
  readonly leases: number;
  readonly heldOver: number;
}

export interface SnapshotLevel {
  /** Every replica, this one included. */
  readonly all: LevelTotals;
  readonly others: LevelTotals;
}

export interface BudgetSnapshot {
  /** When it was read (the replica's clock). */
  readonly at: number;
  /** Replicas that called Redis within a lease TTL. */
  readonly replicas: number;
  /** When the newest of the other replicas' held-over residues ages out (the replica's clock); 0: none. */
  readonly othersHeldUntil: number;
  readonly levels: ReadonlyMap<string, SnapshotLevel>;
}

export const EMPTY_SNAPSHOT: BudgetSnapshot = { at: 0, replicas: 0, othersHeldUntil: 0, levels: new Map() };

const toNumber = (v: unknown): number => {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
};

/**
 * A script's reply (head, alive, the age in ms of the others' newest residue or -1, then 7 fields per
 * level) as a snapshot; `head` is the script's own answer. `holdMs`: the hold-over the script used.
 */
export function readSnapshot(reply: unknown, at: number, holdMs: number): { head: number; snapshot: BudgetSnapshot } {
  if (!Array.isArray(reply) || reply.length < 3) throw new Error(`unexpected reply from the shared budget's script: ${JSON.stringify(reply)}`);
  const levels = new Map<string, SnapshotLevel>();
  const newestAge = toNumber(reply[2]);
  const othersHeldUntil = newestAge >= 0 && holdMs > 0 ? at + Math.max(0, holdMs - newestAge) : 0;
  for (let i = 3; i + 6 < reply.length; i += 7) {
    const n = (k: number) => Math.max(0, toNumber(reply[i + k]));
    levels.set(String(reply[i]), { all: { inUse: n(1), leases: n(2), heldOver: n(3) }, others: { inUse: n(4), leases: n(5), heldOver: n(6) } });
  }
  return { head: toNumber(reply[0]), snapshot: { at, replicas: toNumber(reply[1]), othersHeldUntil, levels } };
}

/** The factor by which the others' held-over bytes of the snapshot have decayed at `now` (1 at `s.at`, 0 once all have aged out). */
export function decayed(s: Pick<BudgetSnapshot, 'at' | 'othersHeldUntil'>, now: number): number {
  if (s.othersHeldUntil <= now) return 0;
  return s.othersHeldUntil <= s.at ? 0 : Math.min(1, (s.othersHeldUntil - now) / (s.othersHeldUntil - s.at));
}

/** The snapshot moved to `now`, with another replica's release of `bytes` in `level` applied. */
export function applyRelease(s: BudgetSnapshot, e: { level: string; bytes: number; heldOver: boolean; now: number; holdMs: number }): BudgetSnapshot {
  const k = decayed(s, e.now);
  const levels = new Map<string, SnapshotLevel>();
  for (const [name, l] of s.levels) {
    const mine = name === e.level;
    const move = (t: LevelTotals): LevelTotals => ({
      inUse: Math.max(0, t.inUse - (mine ? e.bytes : 0)),
      leases: Math.max(0, t.leases - (mine ? 1 : 0)),
      heldOver: t.heldOver * k + (mine && e.heldOver && e.holdMs > 0 ? e.bytes : 0),
    });
    levels.set(name, { all: move(l.all), others: move(l.others) });
  }
  const othersHeldUntil = e.heldOver && e.holdMs > 0 ? e.now + e.holdMs : k > 0 ? s.othersHeldUntil : 0;
  return { at: e.now, replicas: s.replicas, othersHeldUntil, levels };
}
