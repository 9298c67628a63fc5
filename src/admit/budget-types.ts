/**
 * The budget's public types: requests, outcomes, leases, the per-level view that metrics, the 429 body
 * and the dry-run read, and the hooks metrics listen on.
 */
import type { PriorityLevelSettings } from './admission-settings.js';

export type RejectReason = 'too_large' | 'queue_full' | 'wait_exceeded' | 'timeout' | 'shutting_down';

export interface Lease {
  readonly bytes: number;
  readonly level: string;
  readonly released: boolean;
  /** Gives the bytes back; true the first time, false (and nothing happens) after that. */
  release(): boolean;
}

export interface LevelView {
  readonly name: string;
  readonly exempt: boolean;
  readonly guaranteedBytes: number;
  /** The most the level may hold with the current effective budget. */
  readonly ceilingBytes: number;
  /** The most it could ever hold: with the configured budget. */
  readonly maxCeilingBytes: number;
  readonly inUseBytes: number;
  readonly heldBytes: number;
  /** Bytes of ended leases still counted while the apiserver's garbage waits for collection (hold-over.ts). */
  readonly heldOverBytes: number;
  readonly freeBytes: number;
  readonly queuedBytes: number;
  readonly queuedRequests: number;
  readonly leases: number;
}

export type BudgetOutcome =
  | { decision: 'admitted' | 'queued' | 'exempt'; lease: Lease; waitedMs: number; returning: boolean }
  | { decision: 'rejected'; reason: RejectReason; retryAfterSeconds: number | undefined; waitedMs: number; view: LevelView }
  | { decision: 'aborted'; waitedMs: number };

export interface BudgetRequest {
  readonly level: string;
  readonly flow: string;
  readonly bytes: number;
  /** Who asked for what (user, method, target): a client returning at its Retry-After time is known by it. */
  readonly key: string;
  readonly signal?: AbortSignal;
  /**
   * A piece of an offloaded LIST (offload-admission.ts), which waits its turn whatever its projected wait
   * (its client cannot come back later). `first`: the first piece, the request's admission (a rejection is
   * its 429). `next`: a later page, whose client is answered already: it is not counted against the
   * queue's lengths, no return time is held back for it, its rejection is no 429 (nor counted as one),
   * and its Retry-After is when to ask again.
   */
  readonly offloadPage?: 'first' | 'next';
}

export interface BudgetPreview {
  decision: 'admitted' | 'queued' | 'rejected' | 'exempt';
  reason?: RejectReason;
  projectedWaitMs?: number;
  view: LevelView;
}

export interface BudgetSettings {
  readonly budgetBytes: number;
  readonly levels: readonly PriorityLevelSettings[];
  readonly maxRetryAfterSeconds: number;
  readonly initialHoldTimeMs: number;
  /** 0: a lease's bytes come back whole when its response ends. */
  readonly holdOverMs?: number;
}

export interface BudgetEvents {
  granted?(e: { level: string; decision: 'admitted' | 'queued' | 'exempt'; bytes: number; waitedMs: number }): void;
  released?(e: { level: string; bytes: number; heldMs: number }): void;
  /** `offloadPage`: a later page of an offloaded LIST, whose rejection is no 429. */
  rejected?(e: { level: string; reason: RejectReason; waitedMs: number; offloadPage: boolean }): void;
}

export type { Timers } from '../timers.js';

export interface Budget {
  admit(req: BudgetRequest): Promise<BudgetOutcome>;
  /** What `admit` would decide now, taking nothing. */
  preview(req: Omit<BudgetRequest, 'signal'>): BudgetPreview;
  /** New settings in place: leases and queued requests stay (a removed level drains, then goes). */
  reconfigure(settings: BudgetSettings): void;
  /** The adaptive budget's setting, never above the configured budget. */
  setEffectiveBudget(bytes: number): void;
  effectiveBudget(): number;
  configuredBudget(): number;
  inUseBytes(): number;
  levels(): LevelView[];
  level(name: string): LevelView | undefined;
  meanHoldMs(): number;
  /** Shutdown: rejects what waits, releases every lease; returns how many leases it released. */
  releaseAll(): number;
}
