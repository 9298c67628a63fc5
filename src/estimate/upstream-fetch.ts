/**
 * The census's reads of the upstream (`limit=1` probes, the /metrics scrape) over the gateway's own
 * upstream connection: anything with `request({ method, path, headers })` returning an UpstreamRequest, a
 * Host header value and an optional bearer token (the gateway's UpstreamClient has exactly these). The
 * census asks as the gateway itself, never as a caller. Answers are bounded in size and time; a non-2xx
 * answer rejects with the status and the start of the body.
 */
import type { UpstreamRequest, UpstreamResponse } from '../gateway/upstream-request.js';

export interface UpstreamRequester {
  readonly hostHeader: string;
  readonly token?: string | undefined;
  request(opts: { method: string; path: string; headers: readonly string[] }): UpstreamRequest;
}

export interface UpstreamFetch {
  fetchJson(path: string): Promise<unknown>;
  fetchText(path: string): Promise<string>;
}

export class UpstreamFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamFetchError';
  }
}

export function createUpstreamFetch(upstream: UpstreamRequester, opts: { timeoutMs?: number; maxBytes?: number } = {}): UpstreamFetch {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;

  const get = (path: string, accept: string): Promise<string> =>
    new Promise((resolve, reject) => {
      // Settles exactly once, whatever order (or absence) of events a broken connection produces.
      let settled = false;
      const settle = (err: Error | undefined, text?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(text!);
      };
      const headers = ['Host', upstream.hostHeader, 'Accept', accept, 'User-Agent', 'listgate-census'];
      if (upstream.token) headers.push('Authorization', `Bearer ${upstream.token}`);
      const req = upstream.request({ method: 'GET', path, headers });
      const timer = setTimeout(() => settle(new UpstreamFetchError(`GET ${path}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => settle(err instanceof UpstreamFetchError ? err : new UpstreamFetchError(`GET ${path}: ${err.message}`, undefined, { cause: err })));
      req.on('close', () => settle(new UpstreamFetchError(`GET ${path}: the connection closed before an answer`)));
      req.on('response', (res: UpstreamResponse) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const status = res.statusCode ?? 0;
        res.on('error', (err) => settle(new UpstreamFetchError(`GET ${path}: ${err.message}`, status, { cause: err })));
        res.on('close', () => settle(new UpstreamFetchError(`GET ${path}: the answer was cut short`, status)));
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) settle(new UpstreamFetchError(`GET ${path}: answer larger than ${maxBytes} bytes`, status));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) settle(undefined, text);
          else settle(new UpstreamFetchError(`GET ${path}: ${status} ${text.slice(0, 200)}`, status));
        });
      });
      req.end();
    });

  return {
    async fetchJson(path) {
      const text = await get(path, 'application/json');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new UpstreamFetchError(`GET ${path}: the answer is not JSON`, 200, { cause: err });
      }
    },
    fetchText: (path) => get(path, 'text/plain;version=0.0.4'),
  };
}
