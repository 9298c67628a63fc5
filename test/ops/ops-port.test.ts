/**
 * The ops port: liveness, readiness that follows the upstream's own /readyz (or /healthz), and
 * Prometheus metrics from the app's Registry with the process metrics and the gateway counters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUpstreamClient } from '../../src/gateway/upstream-client.js';
import { createUpstreamProbe } from '../../src/ops/upstream-probe.js';
import { parseConfig } from '../../src/config/config.js';
import { readTlsFiles } from '../../src/config/read-tls-files.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { gatewayRequest, startTestGateway, testConfigDocument, type TestGateway } from '../support/gateway-fixture.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

describe('ops port', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gateway: TestGateway;

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      res.end(req.url === '/readyz' ? 'ok' : '{}');
    });
    gateway = await startTestGateway({ pki, upstreamUrl: upstream.url });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
    pki.cleanup();
  });

  const ops = (path: string) => fetch(`http://127.0.0.1:${gateway.opsPort}${path}`);

  it('answers liveness on /healthz and /livez', async () => {
    for (const path of ['/healthz', '/livez']) {
      const res = await ops(path);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), 'ok');
    }
  });

  it('is ready when the upstream answers /readyz, with the gateway credentials', async () => {
    const res = await ops('/readyz');
    assert.equal(res.status, 200);
    const probe = upstream.seen.find((s) => s.url === '/readyz');
    assert.equal(probe?.clientCN, 'listgate');
  });

  it('is not ready, with the reason, while the upstream is down', async () => {
    const down = await startTestGateway({ pki, upstreamUrl: 'https://127.0.0.1:1' });
    try {
      const res = await fetch(`http://127.0.0.1:${down.opsPort}/readyz`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /unreachable \(ECONNREFUSED\)/);
      assert.equal((await fetch(`http://127.0.0.1:${down.opsPort}/livez`)).status, 200, 'still alive');
    } finally {
      await down.close();
    }
  });

  it('exposes process and gateway metrics', async () => {
    await gatewayRequest(gateway, pki, { path: '/api/v1/namespaces/a/configmaps' });
    const res = await ops('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^listgate_requests_total\{verb="list",resource="configmaps",decision="admitted",code="200"\} 1$/m);
    assert.match(text, /^# HELP listgate_upstream_errors_total /m);
    assert.match(text, /^listgate_upstream_response_seconds_count\{verb="list"\} 1$/m, 'upstream latency by verb');
    assert.match(text, /^listgate_config_last_reload_successful 1$/m, 'the start-up load counts as a successful load');
  });

  it('lists every readiness check with ?verbose', async () => {
    const res = await ops('/readyz?verbose');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '[+]shutdown ok\n[+]upstream ok\n[+]census ok\n[+]upstream-capacity ok\nreadyz check passed');
  });
});

describe('upstream readiness probe', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  const answers = { readyz: 200, healthz: 200 };

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, (req, res) => {
      res.writeHead(req.url === '/readyz' ? answers.readyz : answers.healthz);
      res.end('ok');
    });
  });
  after(async () => {
    await upstream.close();
    pki.cleanup();
  });

  const probeWithClock = (clock: { t: number }) => {
    const config = parseConfig(testConfigDocument({ pki, upstreamUrl: upstream.url }), { baseDir: pki.dir });
    const client = createUpstreamClient({ upstream: config.upstream, files: readTlsFiles(config).upstream });
    return { client, probe: createUpstreamProbe({ upstream: client, freshForMs: 10_000, now: () => clock.t }) };
  };

  it('trusts a recent answer and asks again once it is stale', async () => {
    const clock = { t: 0 };
    const { client, probe } = probeWithClock(clock);
    try {
      Object.assign(answers, { readyz: 200, healthz: 200 });
      assert.equal((await probe.check()).ready, true);
      const asked = upstream.seen.length;
      Object.assign(answers, { readyz: 500, healthz: 500 });
      clock.t = 9_000;
      assert.equal((await probe.check()).ready, true, 'a success 9 s ago is recent');
      assert.equal(upstream.seen.length, asked, 'no probe while the last answer is fresh');
      clock.t = 10_001;
      const stale = await probe.check();
      assert.equal(stale.ready, false);
      assert.match(stale.detail, /\/readyz answered 500, \/healthz answered 500/);
    } finally {
      client.close();
    }
  });

  it('falls back to /healthz for servers without /readyz', async () => {
    const { client, probe } = probeWithClock({ t: 0 });
    try {
      Object.assign(answers, { readyz: 404, healthz: 200 });
      const result = await probe.check();
      assert.deepEqual(result, { ready: true, detail: 'upstream /healthz answered 200' });
    } finally {
      client.close();
    }
  });

  it('is not ready, and says why, when the upstream is unreachable', async () => {
    const config = parseConfig(testConfigDocument({ pki, upstreamUrl: 'https://127.0.0.1:1' }), { baseDir: pki.dir });
    const client = createUpstreamClient({ upstream: config.upstream, files: readTlsFiles(config).upstream });
    try {
      const result = await createUpstreamProbe({ upstream: client }).check();
      assert.equal(result.ready, false);
      assert.match(result.detail, /unreachable \(ECONNREFUSED\)/);
    } finally {
      client.close();
    }
  });
});
