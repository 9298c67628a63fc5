/**
 * The webhook's HTTPS listener (its own port, `webhook.listen`): `POST /mutate-pods` with an
 * AdmissionReview v1 body, answered 200 with an AdmissionReview. What is not a review gets a Kubernetes
 * Status JSON instead — the apiserver counts a non-200 answer as a failed call, and the webhook's
 * failurePolicy (Ignore) then admits the pod unchanged:
 * 404 another path, 405 another method, 415 a body that is not application/json, 413 a body over
 * `maxBodyBytes` (declared or sent; the rest is not read), 400 a body that is not JSON or not an
 * AdmissionReview v1 with a request uid, 500 an internal error (logged). Nothing here throws past a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import { failureStatus, type StatusReason } from '../k8s/status.js';
import { readAdmissionReview } from './admission-review.js';
import type { ReviewHandler } from './answer-review.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export const WEBHOOK_PATH = '/mutate-pods';
/** A pod is at most about 1.5 MiB (etcd's request limit); a review holds it and, on UPDATE, its old copy. */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

export interface WebhookServerDeps {
  tls: { cert: string; key: string };
  handle: ReviewHandler;
  metrics: WebhookMetrics;
  logger: Logger;
  maxBodyBytes?: number;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export function createWebhookServer(deps: WebhookServerDeps): Server {
  const limit = deps.maxBodyBytes ?? MAX_REVIEW_BYTES;
  const send = (res: ServerResponse, code: number, body: unknown, close = false): void => {
    deps.metrics.observeRequest(code);
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...(close ? { Connection: 'close' } : {}) });
    res.end(text);
  };
  const fail = (res: ServerResponse, code: number, reason: StatusReason, message: string, close = false) => send(res, code, failureStatus(code, reason, message), close);

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WEBHOOK_PATH) return fail(res, 404, 'NotFound', `listgate's routing webhook serves POST ${WEBHOOK_PATH} only`);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return fail(res, 405, 'MethodNotAllowed', `${WEBHOOK_PATH} takes POST with an AdmissionReview`);
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') return fail(res, 415, 'UnsupportedMediaType', `${WEBHOOK_PATH} takes an AdmissionReview as application/json`);
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = `an AdmissionReview larger than ${limit} bytes is refused`;
    if (declared > limit) return fail(res, 413, 'RequestEntityTooLarge', tooLarge, true);
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLarge) return fail(res, 413, 'RequestEntityTooLarge', tooLarge, true);
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(res, 400, 'BadRequest', 'the body is not valid JSON; expected an AdmissionReview');
    }
    const review = readAdmissionReview(json);
    if (!review.ok) return fail(res, 400, 'BadRequest', review.message);
    send(res, 200, await deps.handle(review.request));
  };

  const server = createServer({ cert: deps.tls.cert, key: deps.tls.key }, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      deps.logger.error({ err }, 'the routing webhook failed to answer a request');
      if (!res.headersSent) fail(res, 500, 'InternalError', 'internal error in listgate\'s routing webhook; see its log');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;
  return server;
}
