/**
 * The 429 a rejected request gets, as the apiserver's own (APF's) rejection looks to clients:
 *   - status 429 with a Kubernetes Status body: reason TooManyRequests, details.retryAfterSeconds, and a
 *     cause (`EstimatedMemoryOverBudget`) stating the estimate and the budget in bytes;
 *   - `Retry-After` in whole seconds: client-go's rest client parses it with strconv.Atoi (a fraction
 *     would not be retried), sleeps that long, and retries up to 10 times before the reflector backs off;
 *   - a `Warning: 299 - "…"` header with the hint, in the words of the client that sent the request
 *     (kubectl, a client-go program, anyone else: list-hints.ts).
 * A LIST that can never fit its level gets neither Retry-After nor details.retryAfterSeconds, so clients
 * do not spin on it, and a message that says exactly how that client can page or stream; one listgate
 * could not serve in pieces itself (offload) also says why not. Pure.
 */
import { failureStatus, type Status, type StatusDetails } from '../k8s/status.js';
import { formatBytes } from '../k8s/quantity.js';
import type { LevelView, RejectReason } from './budget-types.js';
import type { ClientKind } from '../k8s/client-kind.js';
import { fittingLimit, listWays, safeName, warningValue, type HintEstimate, type PageEstimate } from './list-hints.js';

export interface RejectionInput {
  readonly reason: RejectReason;
  readonly retryAfterSeconds: number | undefined;
  readonly estimate: HintEstimate & { readonly class: string };
  readonly target: { readonly resource: string; readonly apiGroup: string };
  readonly level: LevelView;
  readonly budgetBytes: number;
  readonly effectiveBudgetBytes: number;
  /** The upstream serves streaming lists (watch-list). */
  readonly streaming: boolean;
  /** Who sent the request (its User-Agent): the hint is written for it. */
  readonly client: ClientKind;
  /** Prices a first page of the same LIST (for the `limit` of the pagination hint). */
  readonly pageBytes?: PageEstimate;
  /** Why listgate could not serve this LIST in pieces either (offload-admission.ts), for the message. */
  readonly offloadNote?: string;
}

export interface Rejection {
  readonly status: Status;
  readonly headers: Readonly<Record<string, string>>;
}

const WHY: Record<RejectReason, string> = {
  too_large: 'is more than the priority level can ever hold',
  queue_full: 'does not fit now and the queue is full',
  wait_exceeded: 'would wait longer than the queue allows',
  timeout: 'waited the longest the queue allows',
  shutting_down: 'arrived while this gateway shuts down',
};

const bytesText = (n: number) => `${Math.round(n)} bytes (${formatBytes(n)})`;

function budgetCause(input: RejectionInput): string {
  const { estimate, level } = input;
  const budget = input.effectiveBudgetBytes < input.budgetBytes ? `${bytesText(input.budgetBytes)}, lowered to ${bytesText(input.effectiveBudgetBytes)}` : bytesText(input.budgetBytes);
  return [
    `estimated apiserver memory ${bytesText(estimate.estimatedBytes)} for ${estimate.objects} objects`,
    `budget ${budget}`,
    `priority level ${safeName(level.name)} may hold ${bytesText(level.ceilingBytes)} (at most ${bytesText(level.maxCeilingBytes)}), in use ${bytesText(level.inUseBytes)}, ${level.queuedRequests} queued (${formatBytes(level.queuedBytes)})`,
  ].join('; ');
}

export function buildRejection(input: RejectionInput): Rejection {
  const { estimate, level } = input;
  const isList = estimate.class === 'list';
  const what = isList ? `this LIST of ${safeName(input.target.resource)}` : 'this request';
  const limit = fittingLimit(estimate, Math.max(level.freeBytes, level.maxCeilingBytes / 4), input.pageBytes);
  const ways = isList ? listWays({ client: input.client, streaming: input.streaming, limit }) : [];
  const hint = ways[0];
  const retry = input.retryAfterSeconds;

  let message: string;
  if (input.reason === 'too_large') {
    const how = isList ? ways.join('; or ') : 'split it into smaller requests';
    message = `${what} is estimated to hold ${formatBytes(estimate.estimatedBytes)} of apiserver memory, more than priority level ${safeName(level.name)} can ever hold (${formatBytes(level.maxCeilingBytes)}); it will never be admitted as it is: ${how}`;
  } else {
    const after = retry === undefined ? '' : `; retry after ${retry}s`;
    message = `Too many requests: ${what} (estimated ${formatBytes(estimate.estimatedBytes)} of apiserver memory) ${WHY[input.reason]} (priority level ${safeName(level.name)})${after}${hint ? `, or ${hint}` : ''}`;
  }

  if (input.offloadNote) message += `; listgate could not serve it in pieces either: ${input.offloadNote}`;

  const details: StatusDetails = { causes: [{ reason: 'EstimatedMemoryOverBudget', message: budgetCause(input) }] };
  if (input.target.resource !== '') details.kind = safeName(input.target.resource);
  if (input.target.apiGroup !== '') details.group = safeName(input.target.apiGroup);
  if (retry !== undefined) details.retryAfterSeconds = retry;

  const headers: Record<string, string> = {};
  if (retry !== undefined) headers['Retry-After'] = String(retry);
  if (hint) headers.Warning = warningValue(`listgate: ${hint}`);
  return { status: failureStatus(429, 'TooManyRequests', message, details), headers };
}
