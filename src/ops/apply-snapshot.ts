/**
 * What the app does when the reloader publishes a new configuration snapshot:
 * - logging.level: set on the gateway's logger at once (request loggers are its children, made per request);
 * - serving certificate, key or client CAs changed: `setSecureContext`, so new handshakes use them while
 *   open connections keep theirs;
 * - anything the request path is built from changed (upstream, its files, authentication, identity,
 *   authorization): a new request-path generation (request-path.ts); requests in flight finish on the
 *   old one. Its TokenReview and SubjectAccessReview caches and upstream pools start anew;
 * - estimator.*, admission.* and authentication.tokenReview.limits: applied in place by the long-lived
 *   parts that own them (their own subscribers), so the request path, its caches and pools stay;
 * - listen.* and ops.*: nothing (the reloader logs that they need a restart); shutdown.*: read at shutdown.
 */
import type { Server } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { ConfigListener, ConfigSnapshot } from '../config/config-source.js';
import type { Config } from '../config/parse-config.js';
import type { RequestPath } from './request-path.js';

/** Config sections that are not inputs of the request path (estimator and admission change in place). */
const NOT_REQUEST_PATH = new Set(['listen', 'ops', 'logging', 'shutdown', 'tls', 'estimator', 'admission', 'webhook']);

/** The TLS server's context: serving pair, and the client CAs it names when asking for a certificate. */
export function servingContext(snapshot: ConfigSnapshot): SecureContextOptions {
  const cas = snapshot.auth.clientCAPems;
  return { cert: snapshot.files.serving.cert, key: snapshot.files.serving.key, ...(cas.length > 0 ? { ca: [...cas] } : {}) };
}

/** A comparable key of everything the request path is built from (config and file contents). */
export function requestPathKey(snapshot: ConfigSnapshot): string {
  const sections = Object.entries(snapshot.config)
    .filter(([key]) => !NOT_REQUEST_PATH.has(key))
    // The bounds on TokenReviews belong to the long-lived limiter, which a reload retunes in place.
    .map(([key, value]) => (key === 'authentication' ? [key, withoutReviewLimits(value as Config['authentication'])] : [key, value]));
  return JSON.stringify([sections, snapshot.files.upstream, snapshot.auth.clientCAPems, snapshot.auth.frontProxy]);
}

function withoutReviewLimits(authentication: Config['authentication']): unknown {
  const { limits: _limits, ...tokenReview } = authentication.tokenReview;
  return { ...authentication, tokenReview };
}

/**
 * Applies a new serving context. Whether the handshake asks for a client certificate is a property of the
 * server that node reads per connection (`requestCert`, `rejectUnauthorized`); set it with the CAs so a
 * reload that adds or removes client CAs takes effect too (certificates are verified by the authenticate
 * step, never by the handshake).
 */
export function applyServingContext(server: Server, snapshot: ConfigSnapshot): void {
  server.setSecureContext(servingContext(snapshot));
  const askForCertificate = snapshot.auth.clientCAPems.length > 0;
  Object.assign(server, { requestCert: askForCertificate, rejectUnauthorized: askForCertificate ? false : true });
}

export function createSnapshotApplier(deps: { server: Server; requestPath: RequestPath; logger: Logger }): ConfigListener {
  return (next, previous) => {
    // The request path first: building it is what can fail, and then nothing else has changed yet.
    if (requestPathKey(next) !== requestPathKey(previous)) {
      const generation = deps.requestPath.replace(next);
      deps.logger.info({ generation: generation.number }, 'upstream, authentication or identity settings reloaded; new requests use them');
    }
    if (JSON.stringify(servingContext(next)) !== JSON.stringify(servingContext(previous))) {
      applyServingContext(deps.server, next);
      deps.logger.info('serving certificate or client CAs reloaded; new connections use them');
    }
    const level = next.config.logging.level;
    if (level !== previous.config.logging.level) deps.logger.level = level;
  };
}
