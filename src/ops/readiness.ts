/**
 * Readiness as the AND of named checks, like the apiserver's /readyz: the gateway is ready only when
 * every check passes. The upstream check is registered by the app; later components add their own
 * (the census: "warm") with `add`. `shutDown()` fails readiness first thing on SIGTERM, so load
 * balancers stop sending new connections before the listener closes.
 */

export interface CheckResult {
  ok: boolean;
  detail: string;
  /** Said on the check's `?verbose` line even when it passes (a degraded but serving state). */
  note?: string;
}

export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  checks: { name: string; ok: boolean; detail: string; note?: string }[];
}

export interface Readiness {
  /** Registers a check; names are unique and appear in /readyz output. */
  add(name: string, check: ReadinessCheck): void;
  /** Runs every check (concurrently); a check that throws counts as failed. */
  check(): Promise<ReadinessReport>;
  /** From now on, not ready: the process is shutting down. */
  shutDown(): void;
  readonly shuttingDown: boolean;
}

export function createReadiness(): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  let shuttingDown = false;
  checks.set('shutdown', () => (shuttingDown ? { ok: false, detail: 'the gateway is shutting down' } : { ok: true, detail: 'ok' }));

  const run = async (name: string, check: ReadinessCheck) => {
    try {
      return { name, ...(await check()) };
    } catch (err) {
      return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  };

  return {
    add(name, check) {
      if (checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
      checks.set(name, check);
    },
    async check() {
      const results = await Promise.all([...checks].map(([name, check]) => run(name, check)));
      return { ready: results.every((r) => r.ok), checks: results };
    },
    shutDown() {
      shuttingDown = true;
    },
    get shuttingDown() {
      return shuttingDown;
    },
  };
}

/**
 * The apiserver's /readyz text: `ok` when ready (or, verbose, one `[+]name ok` line per check, `[+]name ok:
 * note` for a passing check with a note); when not, every check with `[-]name failed: reason` for the
 * failing ones, then `readyz check failed`.
 */
export function formatReadiness(report: ReadinessReport, verbose: boolean): string {
  if (report.ready && !verbose) return 'ok';
  const lines = report.checks.map((c) => (c.ok ? `[+]${c.name} ok${c.note ? `: ${c.note}` : ''}` : `[-]${c.name} failed: ${c.detail}`));
  lines.push(report.ready ? 'readyz check passed' : 'readyz check failed');
  return lines.join('\n');
}
