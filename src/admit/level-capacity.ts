/**
 * How many bytes a priority level can take right now, from the usage of every level. With E the
 * effective budget:
 *   - nothing is given past the whole budget: a level may take at most E − Σ (in use + held back + held
 *     over) over all levels, which is negative (nothing) while leases granted before E was lowered still
 *     exceed it;
 *   - every other level's unused guarantee stays available to it: share × E − its usage is reserved;
 *   - a level never holds more than its ceiling: min(limit, share + pool) × E.
 * "Held back" is capacity promised to clients returning at their Retry-After time (retry-calendar.ts);
 * "held over" is what ended leases leave in the apiserver's heap until its collector runs (hold-over.ts).
 * Exempt levels take without asking but their usage counts; retired levels (removed by a reload) keep
 * counting until their leases end and reserve nothing. Pure.
 */

export interface LevelUsage {
  readonly name: string;
  readonly exempt: boolean;
  readonly retired: boolean;
  readonly share: number;
  /** min(limit, share + pool), as a fraction of the budget. */
  readonly ceilingFraction: number;
  readonly inUse: number;
  /** Held back for returning clients, plus held over after ended leases. */
  readonly held: number;
}

export function reservedForOthers(level: string, levels: readonly LevelUsage[], effectiveBudget: number): number {
  let reserved = 0;
  for (const other of levels) {
    if (other.name === level || other.exempt || other.retired) continue;
    reserved += Math.max(0, other.share * effectiveBudget - other.inUse - other.held);
  }
  return reserved;
}

/** Bytes the level could be given now (negative when it is over what it may hold). */
export function freeBytes(level: LevelUsage, levels: readonly LevelUsage[], effectiveBudget: number): number {
  const used = levels.reduce((sum, l) => sum + l.inUse + l.held, 0);
  const globalFree = effectiveBudget - used - reservedForOthers(level.name, levels, effectiveBudget);
  const levelFree = level.ceilingFraction * effectiveBudget - level.inUse - level.held;
  return Math.min(globalFree, levelFree);
}

/**
 * Every level's usage with what other replicas hold added (a shared budget): their bytes in use and held
 * over count in their level; a level only they know (another configuration, mid-rollout) counts like a
 * retired one: its bytes are used, it reserves nothing.
 */
export function addOthers(mine: readonly LevelUsage[], others: ReadonlyMap<string, { readonly inUse: number; readonly heldOver: number }>): LevelUsage[] {
  if (others.size === 0) return [...mine];
  const all = mine.map((u) => {
    const o = others.get(u.name);
    return o ? { ...u, inUse: u.inUse + o.inUse, held: u.held + o.heldOver } : u;
  });
  for (const [name, o] of others) {
    if (!mine.some((u) => u.name === name)) all.push({ name, exempt: false, retired: true, share: 0, ceilingFraction: 0, inUse: o.inUse, held: o.heldOver });
  }
  return all;
}
