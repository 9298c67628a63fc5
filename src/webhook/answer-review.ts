/**
 * Answers one pod admission review: routes a pod being created (route-pod.ts), completes a routed pod
 * getting ephemeral containers, and lets everything else through unchanged. Before a pod that reads the
 * CA ConfigMap is created, the ConfigMap is made to exist in its namespace (not on a dry run: the webhook
 * declares sideEffects NoneOnDryRun); when it cannot be, the pod is admitted unrouted rather than left
 * unable to start. A patch that would not apply to the pod it was made from is never sent (checked with
 * fast-json-patch). A review of anything but a Pod is refused with an AdmissionReview error that names the
 * misconfigured rule. Every answer is counted and timed.
 */
import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch, { type Operation } from 'fast-json-patch';
import type { Logger } from 'pino';
import { allowReview, quoteName, refuseReview, type AdmissionRequest, type AdmissionReviewResponse } from './admission-review.js';
import { routeEphemeralContainers, routePod, type RoutingDecision, type RoutingTarget } from './route-pod.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export type ReviewHandler = (request: AdmissionRequest) => Promise<AdmissionReviewResponse>;

export interface ReviewDeps {
  /** The routing settings in effect (read per review: a reload applies to the next one). */
  target: () => RoutingTarget;
  ensureCa: (namespace: string) => Promise<void>;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Monotonic milliseconds (the review duration). */
  now?: () => number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `patch` applies to `pod` (every `replace` target exists, every `add` parent does). */
function applies(pod: V1Pod, patch: Operation[]): boolean {
  try {
    jsonpatch.applyPatch(structuredClone(pod), patch, true);
    return true;
  } catch {
    return false;
  }
}

export function createReviewHandler(deps: ReviewDeps): ReviewHandler {
  const now = deps.now ?? (() => performance.now());
  return async (request) => {
    const started = now();
    const pod = request.object;
    const name = request.name || (isRecord(pod) && isRecord(pod.metadata) && typeof pod.metadata.generateName === 'string' ? `${pod.metadata.generateName}*` : '');
    const context = { uid: request.uid, namespace: request.namespace, pod: name, operation: request.operation, subResource: request.subResource || undefined };
    const answer = (outcome: string, response: AdmissionReviewResponse): AdmissionReviewResponse => {
      deps.metrics.observeReview(request.operation, outcome, (now() - started) / 1000);
      const level = outcome === 'routed' || outcome === 'amended' ? 'info' : 'debug';
      deps.logger[level]({ ...context, outcome }, 'pod admission review answered');
      return response;
    };

    const { kind, resource } = request;
    if (kind.group !== '' || kind.kind !== 'Pod' || resource.resource !== 'pods') {
      const message = `listgate's routing webhook mutates pods only, but was sent kind ${quoteName(kind.kind)} of group ${quoteName(kind.group)}; the rules of its MutatingWebhookConfiguration must name only pods (CREATE) and pods/ephemeralcontainers (UPDATE)`;
      return answer('refused', refuseReview(request.uid, 400, 'BadRequest', message));
    }
    if (!isRecord(pod) || !isRecord(pod.spec)) {
      return answer('refused', refuseReview(request.uid, 400, 'BadRequest', 'the AdmissionReview request carries no Pod in request.object'));
    }

    const creating = request.operation === 'CREATE' && request.subResource === '';
    let decision: RoutingDecision;
    if (creating) decision = routePod(pod as V1Pod, request.namespace, deps.target());
    else if (request.operation === 'UPDATE' && request.subResource === 'ephemeralcontainers') {
      const old = isRecord(request.oldObject) ? (request.oldObject as V1Pod) : undefined;
      decision = routeEphemeralContainers(pod as V1Pod, old, deps.target());
    } else return answer('ignored', allowReview(request.uid));

    if (decision.outcome === 'skipped') return answer(decision.reason, allowReview(request.uid));
    if (decision.outcome !== 'unchanged' && !applies(pod as V1Pod, decision.patch)) {
      deps.logger.error({ ...context, patch: decision.patch }, 'the routing patch does not apply to the pod it was made for; the pod is admitted unrouted');
      return answer('failed', allowReview(request.uid));
    }
    // A pod being created that reads the CA ConfigMap (routed now, or routed already: a copied manifest)
    // needs the ConfigMap in its namespace.
    if (creating && !request.dryRun) {
      try {
        await deps.ensureCa(request.namespace);
      } catch (err) {
        const effect = decision.outcome === 'unchanged' ? 'the pod, routed already, cannot start until it is' : 'the pod is admitted unrouted';
        deps.logger.warn({ ...context, err }, `the gateway CA ConfigMap could not be written; ${effect}`);
        return answer('ca-unavailable', allowReview(request.uid));
      }
    }
    if (decision.outcome === 'unchanged') return answer('unchanged', allowReview(request.uid));
    return answer(decision.outcome, allowReview(request.uid, decision.patch));
  };
}
