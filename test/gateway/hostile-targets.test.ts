/**
 * Hostile request targets through the gateway to the simulator (the same table runs against the real
 * kube-apiserver in test/apiserver/hostile-targets.test.ts): each is refused with a Status, or
 * classified as what the upstream then serves; CONNECT gets a 405 Status.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/gateway-fixture.js';
import { checkHostileTarget, hostileTargets } from '../support/hostile-targets.js';
import type { FetchResult } from '../support/simulator-fixture.js';
import { startWiringStack, type WiringStack } from '../estimate-wiring/wiring-stack.js';

describe('hostile request targets through the gateway (simulator)', () => {
  let stack: WiringStack;
  before(async () => {
    stack = await startWiringStack({ seed: { namespaces: 1, secrets: 6, configmaps: 0, pods: 0 } });
  });
  after(async () => stack?.close());

  const send = async (target: string): Promise<FetchResult> => {
    const r = await stack.send(target);
    const text = r.body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers as FetchResult['headers'], body: r.body, text, json };
  };

  for (const row of hostileTargets('ns-0')) {
    it(row.target, async () => {
      const upstreamBefore = stack.sim.sim.stats.requests().length;
      const logsBefore = stack.logs.length;
      const response = await send(row.target);
      let line: Record<string, unknown> | undefined;
      // One request at a time: the next `request completed` line is this one's.
      if (!row.unparsed) await eventually(() => (line = stack.logs.slice(logsBefore).find((l) => l.msg === 'request completed')) !== undefined, 3000, 'the request line');
      const report = await stack.opsJson(`/debug/estimate?path=${encodeURIComponent(row.target)}`);
      checkHostileTarget(row, response, line, report);
      const seen = stack.sim.sim.stats.requests().slice(upstreamBefore).filter((r) => r.path.includes('secrets'));
      if (row.refused) assert.deepEqual(seen, [], 'nothing reached the upstream');
      else assert.ok(seen.every((r) => r.path.startsWith('/')), 'the upstream got an origin-form target');
    });
  }

  it('answers CONNECT with a 405 Status instead of closing the socket', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: stack.port, ca: stack.pki.gatewayCa.certPem, servername: 'localhost' }, () => {
        socket.write('CONNECT /api/v1/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 405 /);
    const status = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { kind: string; code: number; reason: string };
    assert.deepEqual([status.kind, status.code, status.reason], ['Status', 405, 'MethodNotAllowed']);
  });
});
