/**
 * Hostile request targets through the gateway to a real kube-apiserver (the table of
 * test/support/hostile-targets.ts, which also runs against the simulator): each is refused with a
 * Status, or classified as what the apiserver then serves; CONNECT gets a 405 Status.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createNamespace, seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';
import { eventually } from '../support/gateway-fixture.js';
import { checkHostileTarget, hostileTargets } from '../support/hostile-targets.js';

describe('hostile request targets through the gateway (real kube-apiserver)', () => {
  let kube: KubeApiserver;
  let gw: GatewayOnApiserver;

  before(async () => {
    kube = await startKubeApiserver();
    await createNamespace(kube, 'other');
    await seedSecrets(kube, { namespace: 'default', count: 3, dataBytes: 256 });
    await seedSecrets(kube, { namespace: 'other', count: 2, dataBytes: 256 });
    gw = await startGatewayOnApiserver(kube);
    // The rows compare the estimate's object counts: wait until the census has counted the Secrets.
    for (let i = 0; ; i++) {
      const report = (await (await fetch(`${gw.opsUrl}/debug/estimate?path=${encodeURIComponent('/api/v1/secrets')}`)).json()) as { objects?: number };
      if ((report.objects ?? 0) >= 5) break;
      if (i >= 300) throw new Error(`the census did not count the 5 Secrets within 30 s: ${JSON.stringify(report)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await gw?.close();
    await kube?.stop();
  });

  for (const row of hostileTargets('other')) {
    it(row.target, async () => {
      const response = await gw.request(row.target, kube.admin);
      // The apiserver returns the Audit-ID the gateway sent it: the request's id in the gateway's log.
      const id = response.headers['audit-id'];
      let line: Record<string, unknown> | undefined;
      if (!row.unparsed) await eventually(() => (line = gw.logs.find((l) => l.msg === 'request completed' && l.requestId === id)) !== undefined, 5000, 'the request line');
      const debug = await fetch(`${gw.opsUrl}/debug/estimate?path=${encodeURIComponent(row.target)}`);
      checkHostileTarget(row, response, line, { status: debug.status, json: (await debug.json()) as Record<string, unknown> });
    });
  }

  it('answers CONNECT with a 405 Status, as the apiserver does', async () => {
    const send = (port: number, ca: string, cert?: { certPem: string; keyPem: string }) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) }, () => {
          socket.write('CONNECT /api/v1/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        });
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const direct = await send(kube.port, kube.caPem, kube.admin);
    assert.match(direct, /^HTTP\/1\.1 405 /, 'the apiserver refuses CONNECT with 405');
    const through = await send(gw.port, gw.servingCa.certPem, kube.admin);
    assert.match(through, /^HTTP\/1\.1 405 /);
    const status = JSON.parse(through.slice(through.indexOf('\r\n\r\n') + 4)) as { kind: string; code: number; reason: string };
    assert.deepEqual([status.kind, status.code, status.reason], ['Status', 405, 'MethodNotAllowed']);
  });
});
