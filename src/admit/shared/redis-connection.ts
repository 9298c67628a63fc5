/**
 * The two connections a replica keeps to the shared budget's Redis, made with ioredis from the settings
 * and the files config/ read: one for the scripts (redis-scripts.ts, sent as EVALSHA and re-sent as EVAL
 * after a server restart) and one subscribed to the release channel. No call ever waits for a connection:
 * without one it fails at once (no offline queue), with one it fails after `commandTimeout`, and a call
 * cut by a broken connection is never re-sent (a take or a release is decided once). ioredis reconnects by
 * itself, backing off up to a second.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { SHARED_BUDGET_SCRIPTS } from './redis-scripts.js';
import type { SharedBudgetFiles, SharedBudgetSettings } from './shared-budget-settings.js';

export interface SharedBudgetConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
}

export function redisOptions(settings: SharedBudgetSettings, files: SharedBudgetFiles | undefined, name: string): RedisOptions {
  const tls = settings.tls;
  return {
    host: settings.host,
    port: settings.port,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(files?.password !== undefined ? { password: files.password } : {}),
    ...(tls
      ? {
          tls: {
            ...(files?.ca !== undefined ? { ca: files.ca } : {}),
            ...(files?.clientCert !== undefined && files.clientKey !== undefined ? { cert: files.clientCert, key: files.clientKey } : {}),
            ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
          },
        }
      : {}),
    connectionName: name,
    protocol: 2,
    lazyConnect: true,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(1_000, 50 * 2 ** Math.min(times, 5)),
    scripts: Object.fromEntries(Object.entries(SHARED_BUDGET_SCRIPTS).map(([scriptName, lua]) => [scriptName, { lua, numberOfKeys: 0 }])),
  };
}

/** Both connections, not yet connected (`connect()` them; they reconnect by themselves after). */
export function createSharedBudgetConnections(settings: SharedBudgetSettings, files: SharedBudgetFiles | undefined, replica: string): SharedBudgetConnections {
  const options = redisOptions(settings, files, `listgate-${replica}`);
  const commands = new Redis(options);
  // Subscribing waits for the connection (its own queue), and resubscribes after a reconnect.
  const subscriber = new Redis({ ...options, connectionName: `listgate-${replica}-sub`, enableOfflineQueue: true, commandTimeout: undefined, scripts: {} });
  return { commands, subscriber };
}
