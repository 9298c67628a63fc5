/**
 * The configuration in effect, as a reloadable source. The gateway starts with one snapshot; the
 * reloader publishes each later valid one (an invalid file never gets here, so the last good config stays).
 *
 * How a component takes part in hot reload — pick one:
 * - read per use: call `source.current()` when a request (or a timer tick) needs a setting, and never
 *   keep the result beyond it. Each request then sees one consistent Config, and the next request the new one.
 * - subscribe: `source.subscribe((next, previous) => …)` to adjust long-lived state in place (a budget
 *   resizing its priority levels must keep the leases it holds; it must not be rebuilt). Listeners run
 *   synchronously, in subscription order, after the new snapshot is current; one that throws is reported
 *   to the publisher and does not stop the others.
 * Things built once per config instead (the upstream client and the pipeline) are rebuilt by the app
 * when their inputs change; see src/ops/request-path.ts.
 */
import type { SharedBudgetFiles } from '../admit/shared/shared-budget-settings.js';
import type { AuthFiles } from './read-auth-files.js';
import type { Config } from './parse-config.js';
import type { TlsFiles } from './read-tls-files.js';
import type { WebhookFiles } from './read-webhook-files.js';

/** A validated Config with the contents of the files it names, read at the same moment. */
export interface ConfigSnapshot {
  readonly config: Config;
  readonly files: TlsFiles;
  /** Client CA bundles and the front-proxy pair (authentication). */
  readonly auth: AuthFiles;
  /** The password and certificates of admission.sharedBudget, when it is configured. */
  readonly sharedBudget?: SharedBudgetFiles;
  /** The webhook's serving pair and the CA bundle routed pods trust; absent while the webhook is disabled. */
  readonly webhook?: WebhookFiles;
}

export type ConfigListener = (next: ConfigSnapshot, previous: ConfigSnapshot) => void;

export interface ConfigSource {
  current(): Config;
  snapshot(): ConfigSnapshot;
  /** Returns the function that unsubscribes. */
  subscribe(listener: ConfigListener): () => void;
  /** Makes `next` current and tells every listener; returns what the listeners threw. */
  publish(next: ConfigSnapshot): unknown[];
}

export function createConfigSource(initial: ConfigSnapshot): ConfigSource {
  let current = initial;
  const listeners = new Set<ConfigListener>();
  return {
    current: () => current.config,
    snapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(next) {
      const previous = current;
      current = next;
      const failures: unknown[] = [];
      for (const listener of [...listeners]) {
        try {
          listener(next, previous);
        } catch (err) {
          failures.push(err);
        }
      }
      return failures;
    },
  };
}
