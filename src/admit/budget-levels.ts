/**
 * The budget's priority levels as live state: settings, bytes in use, leases and the fair queue of each.
 * A reload changes settings in place (leases and queued requests stay with their level); a level the new
 * configuration drops is retired: it takes no new requests, keeps counting its leases and serving its
 * queue, and is forgotten once both are empty.
 */
import { levelCeilingFraction, type PriorityLevelSettings } from './admission-settings.js';
import type { Lease } from './budget-types.js';
import { createFairQueue, type FairQueue } from './fair-queue.js';
import type { LevelUsage } from './level-capacity.js';

export interface LevelState<W> {
  readonly name: string;
  settings: PriorityLevelSettings;
  retired: boolean;
  /** min(limit, share + pool) with the settings in effect. */
  ceilingFraction: number;
  inUse: number;
  /** Bytes of every lease released so far: the fair queue's virtual time follows it. */
  released: number;
  readonly leases: Set<Lease>;
  readonly queue: FairQueue<W>;
  usage(): Omit<LevelUsage, 'held'>;
}

export interface BudgetLevels<W> {
  /** Active levels in configuration order, then retired ones still draining. */
  all(): LevelState<W>[];
  /** The active level of that name; an unknown name gets the last level (the catch-all). */
  get(name: string): LevelState<W>;
  find(name: string): LevelState<W> | undefined;
  reconfigure(levels: readonly PriorityLevelSettings[]): void;
  forgetIfDrained(level: LevelState<W>): void;
}

function createLevelState<W>(settings: PriorityLevelSettings, all: readonly PriorityLevelSettings[]): LevelState<W> {
  const state: LevelState<W> = {
    name: settings.name,
    settings,
    retired: false,
    ceilingFraction: levelCeilingFraction(settings, all),
    inUse: 0,
    released: 0,
    leases: new Set(),
    queue: createFairQueue<W>(),
    usage: () => ({
      name: state.name,
      exempt: state.settings.exempt,
      retired: state.retired,
      share: state.settings.share,
      ceilingFraction: state.ceilingFraction,
      inUse: state.inUse,
    }),
  };
  return state;
}

export function createBudgetLevels<W>(initial: readonly PriorityLevelSettings[]): BudgetLevels<W> {
  let active: LevelState<W>[] = initial.map((s) => createLevelState<W>(s, initial));
  const retired = new Set<LevelState<W>>();
  if (active.length === 0) throw new Error('admission needs at least one priority level');

  return {
    all: () => [...active, ...retired],
    get(name) {
      return active.find((l) => l.name === name) ?? active[active.length - 1]!;
    },
    find: (name) => active.find((l) => l.name === name) ?? [...retired].find((l) => l.name === name),
    reconfigure(levels) {
      if (levels.length === 0) throw new Error('admission needs at least one priority level');
      const previous = new Map(active.map((l) => [l.name, l]));
      active = levels.map((s) => {
        const existing = previous.get(s.name);
        previous.delete(s.name);
        if (!existing) return createLevelState<W>(s, levels);
        existing.settings = s;
        existing.ceilingFraction = levelCeilingFraction(s, levels);
        return existing;
      });
      for (const dropped of previous.values()) {
        dropped.retired = true;
        if (dropped.leases.size > 0 || dropped.queue.length > 0) retired.add(dropped);
      }
    },
    forgetIfDrained(level) {
      if (level.retired && level.leases.size === 0 && level.queue.length === 0) retired.delete(level);
    },
  };
}
