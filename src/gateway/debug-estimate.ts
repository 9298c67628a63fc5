/**
 * `GET /debug/estimate?path=/api/v1/secrets%3FresourceVersion%3D0&user=jane&group=dev&accept=…&method=GET`
 * on the ops port only (read-only, plain HTTP on the ops listener, never on the gateway's port): runs
 * classify and estimate on the running gateway's models — and admission's dry run once admission exists —
 * for a request that is not sent, and answers the report of estimate-report.ts as JSON. Nothing is
 * probed or learned. `listgate estimate` asks here first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALL_AUTHENTICATED, anonymousUser, type UserInfo } from '../auth/user-info.js';
import type { Estimator } from '../estimate/create-estimator.js';
import { describeRefusal } from '../k8s/request-target.js';
import { classifyRequest, RequestTargetError } from './classify-request.js';
import { estimateInputOf } from './estimate-step.js';
import { buildEstimateReport, type AdmissionDryRun } from './estimate-report.js';

export interface DebugEstimateDeps {
  estimator: Pick<Estimator, 'estimate' | 'prepare' | 'factors' | 'consistentReads'>;
  /** Admission's dry run; absent where no admission is wired (the decision then reads so). */
  admission?: AdmissionDryRun;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

export function createDebugEstimateHandler(deps: DebugEstimateDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const query = new URL(req.url ?? '/', 'http://ops').searchParams;
    const path = query.get('path') ?? '';
    const method = (query.get('method') ?? 'GET').toUpperCase();
    const accept = query.get('accept') ?? 'application/json';
    if (path === '') return answer(res, 400, { error: 'path is required: the request target to estimate, e.g. path=/api/v1/secrets' });
    if (!METHODS.has(method)) return answer(res, 400, { error: `method must be one of ${[...METHODS].join(', ')}` });
    const name = query.get('user');
    const user: UserInfo = name
      ? { username: name, groups: [...new Set([...query.getAll('group'), ALL_AUTHENTICATED])], extra: {} }
      : anonymousUser();
    const headers = { accept, ...(query.has('contentLength') ? { 'content-length': query.get('contentLength')! } : {}) };
    let classification;
    try {
      classification = classifyRequest(method, path, headers);
    } catch (err) {
      if (err instanceof RequestTargetError) return answer(res, 400, { error: describeRefusal(err.refusal) });
      throw err;
    }
    const input = estimateInputOf(classification, headers);
    const known = classification;
    // As the estimate step does: a LIST of a resource nothing is known about is sampled first.
    void deps.estimator.prepare(input).then(() => {
      const estimate = deps.estimator.estimate(input);
      const admission = deps.admission;
      answer(
        res,
        200,
        buildEstimateReport({
          via: 'gateway',
          method,
          path,
          accept,
          user,
          classification: known,
          estimate,
          factors: deps.estimator.factors(),
          consistentReads: deps.estimator.consistentReads(),
          ...(admission ? { admission } : {}),
        }),
      );
    });
  };
}
