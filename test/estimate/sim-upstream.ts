/**
 * The gateway's view of a test simulator: an UpstreamRequester (TLS with the simulator's CA and the admin
 * client certificate, one keep-alive agent) for createUpstreamFetch, as the gateway's UpstreamClient is.
 */
import { Agent, request } from 'node:https';
import type { UpstreamRequester } from '../../src/estimate/upstream-fetch.js';
import type { TestSimulator } from '../support/simulator-fixture.js';

export function requesterFor(t: Pick<TestSimulator, 'port' | 'caPem' | 'admin'>): UpstreamRequester & { close(): void } {
  const agent = new Agent({ ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, keepAlive: true });
  return {
    hostHeader: `127.0.0.1:${t.port}`,
    request: (opts) => request({ agent, host: '127.0.0.1', port: t.port, method: opts.method, path: opts.path, headers: [...opts.headers], setHost: false }),
    close: () => agent.destroy(),
  };
}

/** The LIST requests the simulator received whose target starts with `prefix`. */
export function listsSeen(t: TestSimulator, prefix: string): string[] {
  return t.sim.stats.requests().filter((r) => r.method === 'GET' && r.path.startsWith(prefix)).map((r) => r.path);
}
