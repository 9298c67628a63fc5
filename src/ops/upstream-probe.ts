/**
 * Readiness of the gateway = the upstream apiserver answered `/readyz` (or `/healthz`, for servers
 * without it) with 200 recently. Probing happens on demand when the last success is older than
 * `freshForMs`, one probe at a time however many callers ask, so no timer runs in the background.
 */
import type { UpstreamClient } from '../gateway/upstream-client.js';
import { upstreamFailure } from '../gateway/upstream-failure.js';

export interface Readiness {
  ready: boolean;
  detail: string;
}

export interface UpstreamProbe {
  check(): Promise<Readiness>;
}

export interface UpstreamProbeDeps {
  upstream: UpstreamClient;
  /** How long a success counts as recent. Default 10 s. */
  freshForMs?: number;
  /** Give up on one probe request after this long. Default: the connect timeout plus 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

const PROBE_PATHS = ['/readyz', '/healthz'];

export function createUpstreamProbe(deps: UpstreamProbeDeps): UpstreamProbe {
  const { upstream } = deps;
  const freshForMs = deps.freshForMs ?? 10_000;
  const timeoutMs = deps.timeoutMs ?? upstream.connectTimeoutMs + 5_000;
  const now = deps.now ?? (() => performance.now());
  let lastSuccess: number | undefined;
  let inFlight: Promise<Readiness> | undefined;

  const headers = ['Host', upstream.hostHeader, 'Accept', 'text/plain, */*'];
  if (upstream.token !== undefined) headers.push('Authorization', `Bearer ${upstream.token}`);

  /** The status code the upstream answered on `path`, or a readable reason it did not. */
  const ask = (path: string) =>
    new Promise<number | string>((resolve) => {
      const req = upstream.request({ method: 'GET', path, headers });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => clearTimeout(timer));
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        resolve(upstreamFailure(err, upstream).message);
      });
      req.end();
    });

  const probe = async (): Promise<Readiness> => {
    const answers: string[] = [];
    for (const path of PROBE_PATHS) {
      const answer = await ask(path);
      if (answer === 200) {
        lastSuccess = now();
        return { ready: true, detail: `upstream ${path} answered 200` };
      }
      if (typeof answer === 'string') return { ready: false, detail: answer };
      answers.push(`${path} answered ${answer}`);
    }
    return { ready: false, detail: `upstream not ready: ${answers.join(', ')}` };
  };

  return {
    async check() {
      if (lastSuccess !== undefined && now() - lastSuccess < freshForMs) {
        return { ready: true, detail: 'upstream answered recently' };
      }
      inFlight ??= probe().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
