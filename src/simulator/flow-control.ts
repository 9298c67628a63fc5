/**
 * API Priority and Fairness, as far as a refusal goes: users sent to a priority level with no seats of its
 * own, none to borrow and a Reject limit response (a FlowSchema matching them). Such a level still
 * dispatches a request when none of its requests is executing (the queueset lets one through when it is
 * idle), and refuses every other one at once with the filter's plain-text 429 (server/filters/
 * priority-and-fairness.go tooManyRequests: `Retry-After` and "Too many requests, please try again later.").
 * Long-running requests (watches) give their seat back once they start, as APF releases it after a watch's
 * initialization. Everyone else is never held back.
 */
import type { ServerResponse } from 'node:http';

export interface FlowControl {
  /** Sends `user`'s requests to a priority level without seats. */
  rejectRequestsOf(user: string): void;
  /** A seat for the request (call the release when it ends), or undefined when APF refuses it. */
  admit(user: string, longRunning: boolean): (() => void) | undefined;
}

const NOOP = (): void => undefined;

export function createFlowControl(): FlowControl {
  const refused = new Set<string>();
  let executing = 0;
  return {
    rejectRequestsOf(user) {
      refused.add(user);
    },
    admit(user, longRunning) {
      if (!refused.has(user)) return NOOP;
      if (executing > 0) return undefined;
      if (longRunning) return NOOP;
      executing += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        executing -= 1;
      };
    },
  };
}

/** The 429 the APF filter writes (http.Error: plain text, nosniff). */
export function writeTooManyRequests(res: ServerResponse, retryAfterSeconds = 1): void {
  const body = 'Too many requests, please try again later.\n';
  res.writeHead(429, {
    'Cache-Control': 'no-cache, private',
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Retry-After': String(retryAfterSeconds),
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
