/**
 * Which requests hold their upstream slot for minutes, by the apiserver's own rule
 * (`LongRunningRequestCheck`: the watch and proxy verbs; the attach, exec, log, portforward and proxy
 * subresources): watches, streaming lists, logs (`logs -f` above all), and connections (exec, attach,
 * port-forward, proxy). They travel in their own lane of upstream capacity (upstream-client.ts), so
 * thousands of them never take a slot a short request needs.
 */
import type { RequestKind } from './classify-request.js';

const LONG_RUNNING: ReadonlySet<RequestKind> = new Set<RequestKind>(['watch', 'streamingList', 'log', 'connect']);

export function isLongRunning(kind: RequestKind): boolean {
  return LONG_RUNNING.has(kind);
}
