/**
 * The request chain, composed here and only here. It reads like the architecture:
 *
 *   begin (strip identity headers, id, logger) → authenticate → classify → estimate → authorize → admit
 *     → proxy → learn
 *
 * Ordinary requests and protocol upgrades run the same chain and differ only in the proxy step.
 * Each step is one line in `run` below, taking the context and returning it extended with its own
 * field (see request-context.ts). The proxy resolves once, when the exchange has finished, with how it
 * finished (`ended`, `aborted`, `failed`); learn takes what a LIST's response taught (learn-step.ts);
 * then the settle point, where admission's lease is released.
 * A LIST admission offloaded is served by the offload proxy instead (offload-proxy.ts): in pieces, each
 * under its own lease, stitched into the one response the client asked for.
 * A request admission answers itself (429) or whose client left while it waited never reaches the proxy;
 * one the apiserver would refuse is answered by authorize (403) before it can weigh on admission.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { AuthenticateStep } from '../auth/authenticate-step.js';
import type { IdentityMode } from '../config/parse-config.js';
import { admitEverything, type AdmitStep, type AdmittedContext } from './admit-step.js';
import { createOffloadProxy } from './offload-proxy.js';
import type { OffloadMetrics } from './offload-metrics.js';
import { authorizeNothing, type AuthorizeStep } from './authorize-step.js';
import { withEstimate, type GatewayEstimator } from './estimate-step.js';
import { learnFromExchange } from './learn-step.js';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { createHttpProxy } from './proxy-http.js';
import { createUpgradeProxy } from './proxy-upgrade.js';
import { replyStatus } from './reply-status.js';
import {
  beginRequest,
  withClassification,
  type Exchange,
  type HttpExchange,
  type ResponseEnd,
  type UpgradeExchange,
} from './request-context.js';
import { recordRequest, type FinishedContext } from './request-log.js';
import type { UpstreamClient } from './upstream-client.js';

export interface Pipeline {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** CONNECT: the apiserver serves no tunnel of that kind; answered 405 with a Status. */
  handleConnect(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Destroys open tunnels; ordinary connections are closed by their server. */
  close(): void;
}

export interface PipelineDeps {
  upstream: UpstreamClient;
  identityMode: IdentityMode;
  /** Step 1 (src/auth/create-authentication.ts). */
  authenticate: AuthenticateStep;
  /** Step 3 and the proxy's response meter (src/estimate/create-estimator.ts; estimate-step.ts). */
  estimator: GatewayEstimator;
  /** Step 3b (authorize-step.ts): a SubjectAccessReview as the caller before a request weighs on admission. */
  authorize?: AuthorizeStep;
  /** Step 4 (admit-step.ts): a lease on the memory budget, or a 429. Without it every request goes on. */
  admit?: AdmitStep;
  /** The incoming headers stripped in step 0, per forwarding mode (src/auth/identity-header-policy.ts). */
  isIdentityHeader: (name: string) => boolean;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Milliseconds; injectable so tests control durations. */
  now?: () => number;
  /** Aborted on shutdown: watches in flight end cleanly at their next event boundary. */
  stopping?: AbortSignal;
  /** Offloaded LISTs' metrics (offload-metrics.ts); without them offloads are not counted. */
  offloadMetrics?: OffloadMetrics;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const now = deps.now ?? (() => performance.now());
  const proxyHttp = createHttpProxy(deps);
  const offloadHttp = createOffloadProxy({ ...deps, metrics: deps.offloadMetrics ?? { observe: () => undefined, waiting: () => undefined, asked: () => undefined } });
  const proxyUpgrade = createUpgradeProxy(deps);
  const admit = deps.admit ?? admitEverything;
  const authorize = deps.authorize ?? authorizeNothing;

  async function run<E extends Exchange>(exchange: E, proxy: (ctx: AdmittedContext<E>) => Promise<ResponseEnd | void>): Promise<void> {
    const ctx = beginRequest(exchange, { logger: deps.logger, now, isIdentityHeader: deps.isIdentityHeader });
    const clientClosed = closedPromise(exchange);
    let latest: FinishedContext = ctx;
    try {
      const authenticated = await deps.authenticate(ctx);
      const classified = withClassification(authenticated);
      latest = classified;
      const estimated = await withEstimate(classified, deps.estimator);
      latest = estimated;
      const authorized = await authorize(estimated);
      const admitted = await admit(authorized);
      latest = admitted;
      if (admitted.proceed) {
        try {
          await proxy(admitted);
          // What the response taught is learned before the lease goes: the next LIST is priced by it.
          await learnFromExchange(admitted, deps.estimator);
        } finally {
          // The settle point: the exchange has finished, however it did. Released once (idempotent).
          admitted.lease?.release();
        }
      }
    } catch (err) {
      const failure = err instanceof GatewayError ? err : new GatewayError('internal', { requestId: ctx.id }, { cause: err });
      // A refusal (401, 403, a bad header…) is the request line's `error`; the step that refused logged why.
      if (failure.code === 'internal') ctx.log.error({ err }, 'request failed inside the gateway');
      else ctx.log.debug({ reason: failure.code, detail: failure.message }, 'request refused');
      ctx.outcome.error = failure.code;
      ctx.outcome.code = failure.httpStatus;
      replyStatus(exchange, failure.toStatus(), ctx.id, failure.headers);
    }
    // The proxy has settled the outcome; the line is written once the client's side is closed too.
    await clientClosed;
    recordRequest(latest, { metrics: deps.metrics, now });
  }

  return {
    handleRequest(req, res) {
      void run<HttpExchange>({ type: 'http', req, res }, (ctx) => (ctx.offload ? offloadHttp(ctx) : proxyHttp(ctx)));
    },
    handleUpgrade(req, socket, head) {
      void run<UpgradeExchange>({ type: 'upgrade', req, socket, head }, proxyUpgrade);
    },
    handleConnect(req, socket, head) {
      const ctx = beginRequest<UpgradeExchange>({ type: 'upgrade', req, socket, head }, { logger: deps.logger, now, isIdentityHeader: deps.isIdentityHeader });
      const refusal = new GatewayError('method_not_allowed', { method: 'CONNECT' });
      ctx.outcome.error = refusal.code;
      ctx.outcome.code = refusal.httpStatus;
      replyStatus(ctx.exchange, refusal.toStatus(), ctx.id);
      void closedPromise(ctx.exchange).then(() => recordRequest(ctx, { metrics: deps.metrics, now }));
    },
    close() {
      proxyUpgrade.closeAll();
    },
  };
}

/** Resolves when the client's side of the exchange closes, finished or not. */
function closedPromise(exchange: Exchange): Promise<void> {
  const target = exchange.type === 'http' ? exchange.res : exchange.socket;
  return new Promise((resolve) => {
    if (target.destroyed || (exchange.type === 'http' && exchange.res.closed)) resolve();
    else target.once('close', () => resolve());
  });
}
