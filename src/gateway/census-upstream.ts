/**
 * The estimator's own way to the upstream: census probes, /metrics scrapes and /version go through an
 * upstream client of their own (its own small connection pool, the gateway's own credentials), never the
 * pool that carries forwarded traffic, so a probe never waits behind a 400 MB LIST for a socket and never
 * runs as a caller. The estimator lives as long as the process while upstream clients are rebuilt with
 * the request path on reload, so this requester routes to the newest client and closes the one before.
 *
 * It also tells whether the census is warm (readiness): a first /metrics scrape or probe answered 200;
 * a /metrics the gateway may not read (401, 403, 404) does not hold readiness back — counts then come from
 * probes and responses; without `metrics` among the sources there is nothing to wait for.
 */
import type { CountSource } from '../estimate/census.js';
import type { UpstreamRequester } from '../estimate/upstream-fetch.js';
import type { UpstreamClient } from './upstream-client.js';

export interface CensusUpstream extends UpstreamRequester {
  /** Routes later requests to `client` and closes the previous client. */
  use(client: UpstreamClient): void;
  /** The readiness check "census": ready once warm. */
  warmth(): { ok: boolean; detail: string };
  close(): void;
}

/** Connections the census may open to the upstream (probes are rate-limited to a few at a time). */
export const CENSUS_MAX_SOCKETS = 4;

const PERMANENT = new Set([401, 403, 404]);

export function createCensusUpstream(opts: { sources: readonly CountSource[] }): CensusUpstream {
  let client: UpstreamClient | undefined;
  let warm: string | undefined;
  let lastMetrics: string | undefined;
  const scrapes = opts.sources.includes('metrics');

  const watch = (path: string, req: ReturnType<UpstreamClient['request']>): void => {
    const isMetrics = path === '/metrics';
    if (!isMetrics && !path.includes('limit=1')) return;
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.once('end', () => {
        if (status === 200) warm ??= isMetrics ? 'first /metrics scrape answered' : `first probe answered (${path})`;
        else if (isMetrics) lastMetrics = `/metrics answered ${status}`;
      });
    });
    if (isMetrics) req.once('error', (err) => (lastMetrics = `/metrics failed: ${err.message}`));
  };

  return {
    get hostHeader() {
      return client?.hostHeader ?? 'localhost';
    },
    get token() {
      return client?.token;
    },
    request(o) {
      if (!client) throw new Error('the census has no upstream client yet');
      const req = client.request(o);
      watch(o.path, req);
      return req;
    },
    use(next) {
      const previous = client;
      client = next;
      if (previous && previous !== next) previous.close();
    },
    warmth() {
      if (!scrapes) return { ok: true, detail: 'metrics is not a census source: counts come from probes and responses' };
      if (warm) return { ok: true, detail: `census warm: ${warm}` };
      const status = lastMetrics && /answered (\d+)/.exec(lastMetrics)?.[1];
      if (status && PERMANENT.has(Number(status))) {
        return { ok: true, detail: `census without /metrics (${lastMetrics}): counts come from probes and responses` };
      }
      return { ok: false, detail: `census cold: waiting for the first /metrics scrape${lastMetrics ? ` (${lastMetrics})` : ''}` };
    },
    close() {
      client?.close();
      client = undefined;
    },
  };
}
