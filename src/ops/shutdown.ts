/**
 * The graceful shutdown sequence (SIGTERM), in the order a rolling restart needs:
 *   1. readiness fails and every response from now on says `Connection: close`, so load balancers and
 *      keep-alive clients move away while the gateway still serves whatever reaches it;
 *   2. after `readinessGracePeriod`, the listener closes (new connections are refused) and watches are
 *      ended cleanly at an event boundary (a terminated chunked body: clients re-watch elsewhere);
 *   3. other requests in flight get up to `drainTimeout` to finish; what is left is then cut;
 *   4. the shutdown hooks run — admission registers the release of its leases here, after every
 *      request has ended — and finally everything is closed (`close`).
 * A component that must act before exit registers a hook: `hooks.add('leases', () => budget.releaseAll())`.
 */
import type { Logger } from 'pino';
import type { ConnectionDrain } from './connection-drain.js';
import type { Readiness } from './readiness.js';

export interface ShutdownSettings {
  readinessGracePeriodMs: number;
  drainTimeoutMs: number;
}

export type ShutdownHook = () => void | Promise<void>;

export interface ShutdownHooks {
  add(name: string, hook: ShutdownHook): void;
  /** Runs every hook in registration order; a failing hook is logged and does not stop the others. */
  run(logger: Logger): Promise<void>;
}

export function createShutdownHooks(): ShutdownHooks {
  const hooks: [string, ShutdownHook][] = [];
  return {
    add(name, hook) {
      hooks.push([name, hook]);
    },
    async run(logger) {
      for (const [name, hook] of hooks) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err, hook: name }, 'shutdown hook failed');
        }
      }
    },
  };
}

export interface ShutdownDeps {
  readiness: Readiness;
  drain: ConnectionDrain;
  /** Stops accepting connections (the listener closes; open connections stay). */
  stopAccepting(): void;
  /** Ends every watch at its next event boundary. */
  endWatches(): void;
  hooks: ShutdownHooks;
  /** Destroys what is still in flight after the drain timeout (connections and tunnels). */
  cut(): void;
  /** Closes everything that is left (upstream clients, the ops port). */
  close(): Promise<void>;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface ShutdownResult {
  /** Every request finished within the drain timeout. */
  drained: boolean;
  /** Requests and tunnels that were cut at the deadline. */
  cut: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function shutDownGracefully(deps: ShutdownDeps, settings: ShutdownSettings): Promise<ShutdownResult> {
  const { logger, drain } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  deps.readiness.shutDown();
  drain.closeAfterResponse();
  logger.info(
    { readinessGracePeriodMs: settings.readinessGracePeriodMs, drainTimeoutMs: settings.drainTimeoutMs, inFlight: drain.inFlight },
    'shutting down: readiness now fails; the listener closes after the grace period',
  );
  await sleep(settings.readinessGracePeriodMs);

  deps.stopAccepting();
  deps.endWatches();
  logger.info({ inFlight: drain.inFlight }, 'listener closed and watches ended; draining requests in flight');
  const drained = await drain.idle(settings.drainTimeoutMs);
  const cut = drain.inFlight;
  if (!drained) {
    logger.warn({ cut, drainTimeoutMs: settings.drainTimeoutMs }, 'drain timeout reached; cutting what is still in flight');
    deps.cut();
  }

  await deps.hooks.run(logger);
  await deps.close();
  logger.info({ drained, cut }, 'shutdown complete');
  return { drained, cut };
}
