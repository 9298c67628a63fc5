/**
 * The shared budget's settings as plain data (milliseconds, resolved file paths): where the Redis server
 * is, how to reach it, and the timing of leases in it. What `admission.sharedBudget` completes into
 * (src/config/schema-shared-budget.ts); absent, each replica keeps its budget to itself.
 */

export interface SharedBudgetTls {
  /** PEM bundle of the CAs that sign the server's certificate; undefined: the system's CAs. */
  readonly caFile: string | undefined;
  /** Client certificate and key, for a server that asks for one (mutual TLS). */
  readonly clientCertFile: string | undefined;
  readonly clientKeyFile: string | undefined;
  /** The name the server's certificate must carry, when it is not the address's host. */
  readonly serverName: string | undefined;
}

export interface SharedBudgetSettings {
  /** Host (name or IP) and port of the Redis server (a standalone server or a primary). */
  readonly host: string;
  readonly port: number;
  /** Undefined: plain TCP. */
  readonly tls: SharedBudgetTls | undefined;
  /** Redis ACL user; undefined: the default user. */
  readonly username: string | undefined;
  /** A file holding the password (one line); undefined: no AUTH. */
  readonly passwordFile: string | undefined;
  /** Every key and the pub/sub channel start with it: replicas sharing one budget use the same prefix. */
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  /** The longest any call to Redis may take (a request waits at most this for a lease decision). */
  readonly commandTimeoutMs: number;
  /** A lease not renewed for this long is dropped by the others (a replica that died). */
  readonly leaseTtlMs: number;
  /** How often a replica renews its leases and says it is alive. */
  readonly renewIntervalMs: number;
  /** Replicas assumed before this replica has seen the others in Redis (its fallback divides by at least this). */
  readonly expectedReplicas: number;
}

/** The secrets and certificates the settings name, read by config/. */
export interface SharedBudgetFiles {
  readonly password: string | undefined;
  readonly ca: string | undefined;
  readonly clientCert: string | undefined;
  readonly clientKey: string | undefined;
}

export const SHARED_BUDGET_DEFAULTS = {
  keyPrefix: 'listgate:',
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 250,
  leaseTtlMs: 10_000,
  renewIntervalMs: 2_000,
  expectedReplicas: 2,
} as const;
