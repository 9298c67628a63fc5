/**
 * Where the budget's usage lives beyond this process. The budget (budget.ts) keeps its leases, queues and
 * Retry-After calendar itself and decides from its own view; a store adds what the other replicas hold
 * and has the last word on a lease:
 *   - the local store (this file): nothing beyond the process; every lease the budget grants is taken;
 *   - the shared store (shared/redis-budget-store.ts): leases in Redis, taken atomically against the
 *     global budget, or — while Redis cannot be reached — against this replica's share of it.
 * `take` answers synchronously when nothing else has to agree, so the local budget decides without
 * yielding to the event loop.
 */

/** A lease as the store knows it. */
export interface StoreClaim {
  readonly id: string;
  readonly level: string;
  readonly bytes: number;
  /** An exempt lease: counted, never refused. */
  readonly force: boolean;
}

/** A priority level as the capacity rules need it (level-capacity.ts), with this replica's held-back bytes. */
export interface CapacityLevel {
  readonly name: string;
  readonly exempt: boolean;
  readonly retired: boolean;
  readonly share: number;
  /** min(limit, share + pool); 0 for an exempt level (its leases are never refused). */
  readonly ceilingFraction: number;
  /** Held back here for clients returning at their Retry-After time (retry-calendar.ts). */
  readonly heldBack: number;
}

/** What a store needs to check a lease against the whole budget. */
export interface CapacityContext {
  readonly effectiveBudget: number;
  readonly holdOverMs: number;
  readonly levels: readonly CapacityLevel[];
}

/** `refused`: no room in the whole budget now; `unavailable`: the store could not answer (decide locally). */
export type TakeOutcome = 'taken' | 'refused' | 'unavailable';

/** Bytes the other replicas hold in a level. */
export interface OthersUsage {
  readonly inUse: number;
  readonly heldOver: number;
}

export interface BudgetStore {
  /** What the other replicas hold, per level (as last seen), at the budget's time `now`. */
  others(now: number): ReadonlyMap<string, OthersUsage>;
  /** The fraction of the effective budget this replica may hold by itself: 1, or 1/N while it cannot share. */
  share(): number;
  /** Records a lease the budget's own view admits (`capacity` is read only when the whole budget must be checked); `true` when nothing else has to agree. */
  take(claim: StoreClaim, capacity: () => CapacityContext): true | Promise<TakeOutcome>;
  /** Gives back a taken lease, once. `heldOver`: its bytes decay as hold-over (hold-over.ts) instead of coming back at once. */
  release(claim: StoreClaim, heldOver: boolean): void;
  /** When what the others hold next changes by itself (their hold-over decaying), on the budget's clock; undefined: never. */
  nextChangeAt(now: number): number | undefined;
  /** Called when room may have come back outside this process (another replica released, a mode changed). */
  onChange(listener: () => void): void;
}

const NOTHING: ReadonlyMap<string, OthersUsage> = new Map();

/** The budget alone: no other replica, every lease taken at once. */
export const localBudgetStore: BudgetStore = {
  others: () => NOTHING,
  share: () => 1,
  take: () => true,
  release: () => undefined,
  nextChangeAt: () => undefined,
  onChange: () => undefined,
};
