/**
 * An UpstreamRequester (what admission's probes and the estimator read the upstream through) for a test
 * simulator or a real apiserver: HTTPS with its admin certificate, a keep-alive pool of its own.
 */
import { Agent, request } from 'node:https';
import type { UpstreamRequester } from '../../../src/estimate/upstream-fetch.js';
import type { TestSimulator } from '../../support/simulator-fixture.js';

export function simRequester(t: Pick<TestSimulator, 'port' | 'caPem' | 'admin'>): UpstreamRequester & { close(): void } {
  const agent = new Agent({ keepAlive: true, ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem });
  return {
    hostHeader: `127.0.0.1:${t.port}`,
    token: undefined,
    request: (o) => request({ agent, host: '127.0.0.1', port: t.port, method: o.method, path: o.path, headers: [...o.headers], setHost: false }),
    close: () => agent.destroy(),
  };
}
