/**
 * Clients over HTTP/2 and over HTTP/1.1 through the gateway, in front of the simulator (itself over
 * HTTP/2): kubectl 1.32 (client-go, which takes `h2` when the listener offers it by ALPN) lists,
 * pages, creates, watches and deletes, all of one command's requests over one connection; an
 * @kubernetes/client-node informer (client-node 1.x speaks HTTP/1.1 only: it takes `http/1.1` from the
 * same listener) syncs and follows changes; with `listen.http2: false` both work over HTTP/1.1.
 * The gateway's request line says `protocol: h2` for each request that came over HTTP/2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { writeKubeconfig } from '../../src/certs/kubeconfig.js';
import { eventually, startTestGateway, type LogRecord, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { runKubectl, spawnKubectl } from '../support/kubectl.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const completed = (logs: readonly LogRecord[]) => logs.filter((l) => l.msg === 'request completed');

describe('clients through the gateway over HTTP/2 and HTTP/1.1', () => {
  let sim: TestSimulator;
  let pki: GatewayTestPki;
  let home: string;
  /** One gateway listening with HTTP/2 beside HTTP/1.1, one with HTTP/1.1 only; their kubeconfigs. */
  const gateways = new Map<boolean, { gw: TestGateway; kubeconfig: string; connections: number }>();

  before(async () => {
    sim = await startTestSimulator({ seed: { namespaces: 2, secrets: 12, configmaps: 4, pods: 2 } });
    pki = createGatewayTestPki();
    writeFileSync(join(pki.dir, 'sim-ca.crt'), sim.caPem);
    writeFileSync(join(pki.dir, 'sim-admin.crt'), sim.admin.certPem);
    writeFileSync(join(pki.dir, 'sim-admin.key'), sim.admin.keyPem, { mode: 0o600 });
    home = mkdtempSync(join(tmpdir(), 'listgate-h2-clients-'));
    for (const http2 of [true, false]) {
      const gw = await startTestGateway({
        pki,
        upstreamUrl: sim.url,
        upstream: { caFile: 'sim-ca.crt', clientCertFile: 'sim-admin.crt', clientKeyFile: 'sim-admin.key', protocol: 'http2' },
        listen: { http2 },
      });
      const kubeconfig = join(home, `kubeconfig-${http2 ? 'h2' : 'h1'}`);
      // Anonymous callers are let through (insecure mode): the token only gives kubectl a user entry.
      await writeKubeconfig(kubeconfig, { name: 'gateway', server: `https://127.0.0.1:${gw.port}`, caPem: pki.gatewayCa.certPem, user: { token: 'anonymous' } });
      const entry = { gw, kubeconfig, connections: 0 };
      gw.app.server.on('secureConnection', () => (entry.connections += 1));
      gateways.set(http2, entry);
    }
  });
  after(async () => {
    for (const { gw } of gateways.values()) await gw.close();
    await sim?.close();
    pki?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  for (const http2 of [true, false]) {
    const at = () => gateways.get(http2)!;

    it(`kubectl gets, pages, creates and deletes, one connection per command, over ${http2 ? 'HTTP/2' : 'HTTP/1.1'}`, async () => {
      const { gw, kubeconfig } = at();
      const kubectl = (args: string[]) => runKubectl(args, { kubeconfig, home });
      const linesBefore = completed(gw.logs).length;
      const before = at().connections;
      const paged = await kubectl(['get', 'secrets', '-A', '--chunk-size=3', '-o', 'name']);
      assert.equal(paged.code, 0, paged.stderr);
      assert.equal(new Set(paged.stdout.trim().split('\n')).size, 12, 'every secret once');
      const lines = completed(gw.logs).slice(linesBefore);
      assert.ok(lines.length >= 4, `${lines.length} pages`);
      assert.ok(lines.every((l) => l.protocol === (http2 ? 'h2' : undefined)), JSON.stringify(lines.map((l) => l.protocol)));
      if (http2) assert.equal(at().connections - before, 1, 'every page over one multiplexed connection');

      const created = await kubectl(['-n', 'ns-0', 'create', 'configmap', `over-the-wire-${http2 ? 'h2' : 'h1'}`, '--from-literal=k=v']);
      assert.equal(created.code, 0, created.stderr);
      const stored = await fetchSim(sim, `/api/v1/namespaces/ns-0/configmaps/over-the-wire-${http2 ? 'h2' : 'h1'}`);
      assert.deepEqual((stored.json as { data?: Record<string, string> }).data, { k: 'v' }, 'the body reached the upstream whole');
      assert.equal((await kubectl(['-n', 'ns-0', 'delete', 'configmap', `over-the-wire-${http2 ? 'h2' : 'h1'}`])).code, 0);
      const write = completed(gw.logs).find((l) => l.verb === 'create' && (l.target as { resource?: string } | undefined)?.resource === 'configmaps');
      assert.equal(write?.code, 201, 'the create, body and all, reached the upstream');
    });

    it(`kubectl get -w sees a change as it happens over ${http2 ? 'HTTP/2' : 'HTTP/1.1'}`, async () => {
      const { gw, kubeconfig } = at();
      const name = `watched-${http2 ? 'h2' : 'h1'}`;
      const watch = spawnKubectl(['-n', 'ns-1', 'get', 'configmaps', '-w', '-o', 'name'], { kubeconfig, home });
      try {
        await watch.waitFor(/configmap\/config-/, 10_000);
        assert.equal((await runKubectl(['-n', 'ns-1', 'create', 'configmap', name], { kubeconfig, home })).code, 0);
        await watch.waitFor(new RegExp(`configmap/${name}`), 10_000);
      } finally {
        watch.child.kill();
      }
      await eventually(() => completed(gw.logs).some((l) => l.kind === 'watch'), 5000, 'the watch line');
      const line = completed(gw.logs).find((l) => l.kind === 'watch');
      assert.equal(line?.protocol, http2 ? 'h2' : undefined);
    });

    it(`a client-node informer syncs and follows adds and deletes (HTTP/1.1, the only protocol client-node speaks; listener with${http2 ? '' : 'out'} HTTP/2)`, async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(at().kubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const list = () => core.listNamespacedConfigMap({ namespace: 'ns-0' });
      const expected = (await list()).items.length;
      const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, '/api/v1/namespaces/ns-0/configmaps', list);
      const events: string[] = [];
      informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
      informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
      await informer.start();
      try {
        assert.equal(informer.list('ns-0').length, expected);
        await core.createNamespacedConfigMap({ namespace: 'ns-0', body: { metadata: { name: `informed-${http2 ? 'h2' : 'h1'}` } } });
        await eventually(() => events.includes(`add informed-${http2 ? 'h2' : 'h1'}`), 10_000, 'the add event');
        await core.deleteNamespacedConfigMap({ namespace: 'ns-0', name: `informed-${http2 ? 'h2' : 'h1'}` });
        await eventually(() => events.includes(`delete informed-${http2 ? 'h2' : 'h1'}`), 10_000, 'the delete event');
      } finally {
        await informer.stop();
      }
    });
  }
});
