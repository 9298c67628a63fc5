/**
 * Admission's settings as plain data (bytes and milliseconds), what the config file's `admission`
 * section completes into, and the defaults an operator expects, modelled on API Priority and Fairness's
 * suggested configuration but counting bytes of apiserver memory instead of seats:
 *
 *   exempt     system:masters: bypass (its leases are counted, never waited for)
 *   system     nodes, kube-system service accounts, the control-plane components
 *   workload   every other service account (controllers, operators, informers in pods)
 *   catch-all  everyone else (people with kubectl, CI)
 *
 * A level's `share` of the budget is guaranteed to it: while the level does not use it, it is held back
 * from the others. What no level is guaranteed (1 − Σ shares) is a pool any level may borrow from, up to
 * its own `limit`. So a level can never hold more than min(limit, share + pool) of the budget: a LIST
 * whose estimate is above that can never be admitted in that level.
 */
import type { SharedBudgetSettings } from './shared/shared-budget-settings.js';

export type FlowKey = 'user' | 'namespace';

export interface QueueSettings {
  /** Requests that may wait in the level at once. */
  readonly length: number;
  /** Requests one flow may have waiting in the level (so one tenant cannot fill the queue). */
  readonly lengthPerFlow: number;
  /** The longest a request waits for a lease before it is answered 429. */
  readonly maxWaitMs: number;
}

export interface PriorityLevelSettings {
  readonly name: string;
  /** Requests in an exempt level never wait; their leases are counted all the same. */
  readonly exempt: boolean;
  /** Fraction of the budget guaranteed to this level (0–1). */
  readonly share: number;
  /** Fraction of the budget this level may hold at most, borrowing from the unguaranteed pool (share–1). */
  readonly limit: number;
  readonly queue: QueueSettings;
}

export interface ServiceAccountSubject {
  /** `*` for any namespace. */
  readonly namespace: string;
  /** `*` for any name. */
  readonly name: string;
}

export interface FlowSchemaSettings {
  readonly name: string;
  /** The priority level requests matching this schema go to. */
  readonly level: string;
  /** Who: any of these matches; all three empty matches everyone. Users and groups accept `*` and a trailing `*`. */
  readonly subjects: {
    readonly users: readonly string[];
    readonly groups: readonly string[];
    readonly serviceAccounts: readonly ServiceAccountSubject[];
  };
  /** What: each list empty matches anything; `*` matches anything too. */
  readonly rules: {
    readonly verbs: readonly string[];
    /** Resource names (`secrets`) or resource.group (`deployments.apps`). */
    readonly resources: readonly string[];
    /** Namespace names; `*` any namespace. Cluster-scoped requests match only an empty list. */
    readonly namespaces: readonly string[];
  };
  /** Fair queuing distinguishes flows by the user or by the request's namespace. */
  readonly flowKey: FlowKey;
}

export interface AdaptiveSettings {
  readonly enabled: boolean;
  /** The upstream metric read from its /metrics (summed over its samples). */
  readonly metric: string;
  /** Above this the effective budget is lowered by the excess. */
  readonly ceilingBytes: number;
  /** The effective budget is never lowered below this. */
  readonly minimumBytes: number;
  readonly intervalMs: number;
  /** Fraction of the configured budget the effective budget may rise per interval when below the ceiling. */
  readonly recoveryFraction: number;
  /**
   * Ask the upstream for a garbage collection (its profiling endpoint) while memory the leases do not
   * explain holds the budget back, at most once per `collectIntervalMs` (adaptive-budget.ts).
   */
  readonly collect: boolean;
  readonly collectIntervalMs: number;
}

export interface AdmissionSettings {
  readonly enabled: boolean;
  readonly budgetBytes: number;
  /** Requests estimated below this pass at once without a lease: single GETs, writes, watches, streaming lists. */
  readonly smallRequestBytes: number;
  /** Admitted LISTs estimated above this get a Warning header telling the client to stream or paginate. */
  readonly warningBytes: number;
  /** The longest Retry-After given (APF caps at 32 s); rejected clients are spread over the seconds below it. */
  readonly maxRetryAfterSeconds: number;
  /** The lease hold time assumed before any lease has been released (seeds the drain rate). */
  readonly initialHoldTimeMs: number;
  /** How long a lease's bytes stay counted, decaying, after its response ended (hold-over.ts: Go's garbage). */
  readonly holdOverMs: number;
  /** Whether the upstream serves streaming lists: probed (`auto`), or as configured. */
  readonly streamingLists: 'auto' | 'enabled' | 'disabled';
  readonly streamingProbeIntervalMs: number;
  /**
   * `auto`: an unpaginated LIST that would be rejected is served in pieces the apiserver can afford (pages,
   * or a streaming list) when its client can take the stitched answer (offload-admission.ts); `off`: 429.
   */
  readonly offload: 'auto' | 'off';
  readonly adaptive: AdaptiveSettings;
  readonly levels: readonly PriorityLevelSettings[];
  readonly flowSchemas: readonly FlowSchemaSettings[];
  /** One budget for every replica, through Redis (shared/); undefined: this replica's own budget. */
  readonly sharedBudget?: SharedBudgetSettings;
}

const queue = (length: number, lengthPerFlow: number, maxWaitMs: number): QueueSettings => ({ length, lengthPerFlow, maxWaitMs });
const noSubjects = { users: [], groups: [], serviceAccounts: [] };
const anyRequest = { verbs: [], resources: [], namespaces: [] };

export const DEFAULT_LEVELS: readonly PriorityLevelSettings[] = [
  { name: 'exempt', exempt: true, share: 0, limit: 1, queue: queue(0, 0, 0) },
  { name: 'system', exempt: false, share: 0.2, limit: 1, queue: queue(128, 32, 15_000) },
  { name: 'workload', exempt: false, share: 0.3, limit: 1, queue: queue(128, 16, 10_000) },
  { name: 'catch-all', exempt: false, share: 0.1, limit: 1, queue: queue(64, 8, 5_000) },
];

export const DEFAULT_FLOW_SCHEMAS: readonly FlowSchemaSettings[] = [
  { name: 'exempt', level: 'exempt', subjects: { ...noSubjects, groups: ['system:masters'] }, rules: anyRequest, flowKey: 'user' },
  {
    name: 'system-nodes',
    level: 'system',
    subjects: { ...noSubjects, groups: ['system:nodes'] },
    rules: anyRequest,
    flowKey: 'user',
  },
  {
    name: 'system-components',
    level: 'system',
    subjects: {
      users: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:kube-proxy', 'system:apiserver'],
      groups: [],
      serviceAccounts: [{ namespace: 'kube-system', name: '*' }],
    },
    rules: anyRequest,
    flowKey: 'user',
  },
  {
    name: 'service-accounts',
    level: 'workload',
    subjects: { ...noSubjects, groups: ['system:serviceaccounts'] },
    rules: anyRequest,
    flowKey: 'user',
  },
  { name: 'catch-all', level: 'catch-all', subjects: noSubjects, rules: anyRequest, flowKey: 'user' },
];

export const DEFAULT_ADMISSION: AdmissionSettings = {
  enabled: true,
  budgetBytes: 6 * 1024 ** 3,
  smallRequestBytes: 1024 ** 2,
  warningBytes: 256 * 1024 ** 2,
  maxRetryAfterSeconds: 32,
  initialHoldTimeMs: 5_000,
  holdOverMs: 2_000,
  streamingLists: 'auto',
  streamingProbeIntervalMs: 10 * 60_000,
  offload: 'auto',
  adaptive: {
    enabled: false,
    metric: 'process_resident_memory_bytes',
    ceilingBytes: 8 * 1024 ** 3,
    minimumBytes: 512 * 1024 ** 2,
    intervalMs: 2_000,
    recoveryFraction: 0.1,
    collect: true,
    collectIntervalMs: 20_000,
  },
  levels: DEFAULT_LEVELS,
  flowSchemas: DEFAULT_FLOW_SCHEMAS,
};

/** The unguaranteed pool: what is left of the budget after every non-exempt level's share. */
export function poolFraction(levels: readonly PriorityLevelSettings[]): number {
  const guaranteed = levels.filter((l) => !l.exempt).reduce((sum, l) => sum + l.share, 0);
  return Math.max(0, 1 - guaranteed);
}

/** The most of the budget a level can ever hold: min(limit, share + pool). */
export function levelCeilingFraction(level: PriorityLevelSettings, levels: readonly PriorityLevelSettings[]): number {
  if (level.exempt) return Number.POSITIVE_INFINITY;
  return Math.min(level.limit, level.share + poolFraction(levels));
}
