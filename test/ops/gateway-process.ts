/**
 * The gateway as operators run it, for tests: `node dist/src/cli.js serve --config FILE` in its own
 * process in front of a simulator, its JSON log lines parsed from stdout, its exit code awaited.
 * `gatewayFiles` writes what such a process needs: a serving certificate, the simulator's CA and an admin
 * client certificate for the upstream, and a config document.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createCA, issueServingCert, type CertificateAuthority } from '../../src/certs/pki.js';
import type { TestSimulator } from '../support/simulator-fixture.js';

const CLI = resolve('dist/src/cli.js');

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  opsPort: number;
  logs: LogLine[];
  /** Everything the process wrote to stderr. */
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves with the first log line matching, waiting up to `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

/** A port that was free a moment ago: for configs that must name a fixed port (the benchmarks' helper). */
export { freePort } from '../../bench/lib/server-process.js';

export interface GatewayFileSet {
  servingCa: CertificateAuthority;
  /** Relative names, for config documents in `dir`. */
  tls: { certFile: string; keyFile: string };
  upstream(sim: TestSimulator, name: string): Record<string, unknown>;
}

/** Writes the serving pair into `dir`; `upstream(sim)` writes that simulator's CA and admin pair too. */
export function gatewayFiles(dir: string): GatewayFileSet {
  const servingCa = createCA('gateway-process-test-ca');
  const serving = issueServingCert(servingCa, { ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
  writeFileSync(join(dir, 'serving.crt'), serving.certPem);
  writeFileSync(join(dir, 'serving.key'), serving.keyPem, { mode: 0o600 });
  return {
    servingCa,
    tls: { certFile: 'serving.crt', keyFile: 'serving.key' },
    upstream(sim, name) {
      writeFileSync(join(dir, `${name}-ca.crt`), sim.caPem);
      writeFileSync(join(dir, `${name}-admin.crt`), sim.admin.certPem);
      writeFileSync(join(dir, `${name}-admin.key`), sim.admin.keyPem, { mode: 0o600 });
      return { server: sim.url, caFile: `${name}-ca.crt`, clientCertFile: `${name}-admin.crt`, clientKeyFile: `${name}-admin.key` };
    },
  };
}

/** A config document for a gateway process (anonymous callers, insecure forwarding: what these tests need). */
export function processConfig(opts: {
  files: GatewayFileSet;
  upstream: Record<string, unknown>;
  port: number;
  opsPort: number;
  level?: string;
  shutdown?: Record<string, string>;
}): string {
  return stringify({
    listen: { address: '127.0.0.1', port: opts.port },
    tls: opts.files.tls,
    upstream: opts.upstream,
    authentication: { tokenReview: { enabled: false }, anonymous: { enabled: true } },
    identity: { mode: 'insecure' },
    ops: { address: '127.0.0.1', port: opts.opsPort },
    logging: { level: opts.level ?? 'info' },
    ...(opts.shutdown ? { shutdown: opts.shutdown } : {}),
  });
}

export function spawnGateway(configPath: string, timeoutMs = 20_000): Promise<GatewayProcess> {
  const child = spawn('node', [CLI, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as LogLine);
    }
    for (const wake of [...waiters]) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const waitForLog = (match: (line: LogLine) => boolean, waitMs = 10_000) =>
    new Promise<LogLine>((ok, fail) => {
      const check = () => {
        const found = logs.find(match);
        if (!found) return false;
        waiters.delete(check);
        clearTimeout(timer);
        ok(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        fail(new Error(`no matching log line within ${waitMs} ms; stderr: ${stderr}; last lines: ${JSON.stringify(logs.slice(-5))}`));
      }, waitMs);
      if (!check()) waiters.add(check);
    });

  return Promise.race([
    waitForLog((l) => l.msg === 'listgate serving', timeoutMs),
    exited.then((code) => Promise.reject(new Error(`gateway exited with ${code} before serving: ${stderr}`))),
  ]).then((line) => ({
    child,
    port: Number(line.port),
    opsPort: Number(line.opsPort),
    logs,
    stderr: () => stderr,
    exited,
    waitForLog,
  }));
}
