/**
 * HTTP/2 to the upstream, against a real node:http2 server standing in for the apiserver: the server's
 * stream limit per connection is respected (more connections when it is reached), a connection that
 * got GOAWAY takes no new streams while its streams go on, a stream the server refused unprocessed is
 * sent again, and a connection lost mid-watch ends the client's watch cleanly between two events (or
 * fails it, if an event was cut in half) — over HTTP/1.1 too — while a request waiting for its answer
 * gets a Status: no request is lost silently.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest } from 'node:http2';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { eventually, gatewayRequest, startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';
import { startTestUpstream, type TestUpstream } from '../support/gateway-upstream.js';

const event = (name: string) => `${JSON.stringify({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { name } } })}\n`;

interface ClientWatch {
  text: () => string;
  /** Resolves when the response ended: `complete` whether it ended cleanly (the chunked terminator). */
  ended: Promise<{ complete: boolean }>;
  close(): void;
}

/** A watch through the gateway; resolves once its response headers are in. */
function watchThrough(gw: { port: number }, pki: GatewayTestPki, path: string): Promise<ClientWatch> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path, ca: pki.gatewayCa.certPem, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      const ended = new Promise<{ complete: boolean }>((done) => {
        res.on('error', () => undefined);
        res.once('close', () => done({ complete: res.complete }));
      });
      resolve({ text: () => text, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricValue(gw: TestGateway, series: string): Promise<number | undefined> {
  const line = (await gw.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('HTTP/2 to the upstream', () => {
  let pki: GatewayTestPki;
  let upstream: TestUpstream;
  let gw: TestGateway;
  const watches: ServerResponse[] = [];
  const refusedOnce = new Set<string>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    if (url.includes('watch=true')) {
      watches.push(res);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(event(`first-${watches.length}`));
      return;
    }
    if (url.includes('/refused-') && !refusedOnce.has(url)) {
      refusedOnce.add(url);
      const { stream } = req as unknown as Http2ServerRequest;
      stream.on('error', () => undefined);
      // RST_STREAM(REFUSED_STREAM), as a server over its stream limit answers; or GOAWAY naming an
      // earlier stream as the last one processed (Node reads 0 as "the last one": a stream 1 is refused by RST).
      const id = stream.id ?? 0;
      if (url.endsWith('-by-goaway') && id >= 3) stream.session?.goaway(constants.NGHTTP2_NO_ERROR, id - 2);
      else stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (url.endsWith('/hang')) return;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}}');
  };

  before(async () => {
    pki = createGatewayTestPki();
    upstream = await startTestUpstream(pki, handler, { http2: { maxConcurrentStreams: 4 } });
    gw = await startTestGateway({ pki, upstreamUrl: upstream.url, upstream: { protocol: 'http2' } });
  });
  after(async () => {
    for (const res of watches) res.end();
    await gw.close();
    await upstream.close();
    pki.cleanup();
  });

  it('opens another connection when the server’s stream limit is reached, and keeps every watch', async () => {
    const open: ClientWatch[] = [];
    for (let i = 0; i < 10; i++) {
      const w = await watchThrough(gw, pki, `/api/v1/namespaces/default/pods?watch=true&n=${i}`);
      await eventually(() => w.text().includes('"ADDED"'), 3000, `watch ${i}'s first event`);
      open.push(w);
    }
    // 10 watches at 4 streams per connection: 3 connections, none carrying more than 4.
    assert.equal(await metricValue(gw, 'listgate_upstream_connections{lane="long",protocol="http2"}'), 3);
    assert.equal(await metricValue(gw, 'listgate_upstream_requests_in_flight{lane="long",protocol="http2"}'), 10);
    assert.ok(upstream.sessions.size >= 3, `the server has ${upstream.sessions.size} connections`);
    for (const res of watches.splice(0)) res.end();
    const ends = await Promise.all(open.map((w) => w.ended));
    assert.ok(ends.every((e) => e.complete), 'every watch ended cleanly when the server ended it');
  });

  it('takes no new stream on a connection that got GOAWAY, while its open watch goes on', async () => {
    const w = await watchThrough(gw, pki, '/api/v1/namespaces/default/pods?watch=true&goaway');
    await eventually(() => w.text().includes('"ADDED"'), 3000, 'the first event');
    const serving = watches[watches.length - 1]!;
    const session = (serving as unknown as { stream: { session: { close(): void } } }).stream.session;
    const sessionsBefore = upstream.sessions.size;
    session.close(); // GOAWAY; the server lets the open streams finish
    await eventually(() => upstream.sessions.size >= sessionsBefore, 1000, 'GOAWAY sent');
    const answered = await gatewayRequest(gw, pki, { path: '/api/v1/namespaces/default/configmaps/after-goaway' });
    assert.equal(answered.status, 200);
    serving.write(event('after-goaway'));
    await eventually(() => w.text().includes('after-goaway'), 3000, 'an event after GOAWAY');
    serving.end();
    assert.deepEqual(await w.ended, { complete: true });
    watches.splice(0);
  });

  for (const how of ['by-rst', 'by-goaway']) {
    it(`sends a request again when the server refused its stream unprocessed (${how})`, async () => {
      const path = `/api/v1/namespaces/default/configmaps/refused-${how}`;
      // One answered request first, so the refused one is not the connection's first stream.
      assert.equal((await gatewayRequest(gw, pki, { path: `/api/v1/namespaces/default/configmaps/before-${how}` })).status, 200);
      const seenBefore = upstream.seen.length;
      const answered = await gatewayRequest(gw, pki, { path });
      assert.equal(answered.status, 200);
      const attempts = upstream.seen.slice(seenBefore).filter((s) => s.url === path);
      assert.equal(attempts.length, 2, 'refused once, then answered');
    });
  }

  it('with protocol auto, sends even the first request over HTTP/2 (it waits for the ALPN answer)', async () => {
    const auto = await startTestGateway({ pki, upstreamUrl: upstream.url });
    try {
      const seenBefore = upstream.seen.length;
      assert.equal((await gatewayRequest(auto, pki, { path: '/api/v1/namespaces/default/configmaps/first' })).status, 200);
      const first = upstream.seen.slice(seenBefore).find((r) => r.url.endsWith('/first'));
      assert.ok(first?.rawHeaders.includes(':authority'), 'the first request came as an HTTP/2 stream');
    } finally {
      await auto.close();
    }
  });

  it('answers a request in flight with a Status when its connection is lost', async () => {
    const pending = gatewayRequest(gw, pki, { path: '/api/v1/namespaces/default/configmaps/hang' });
    await eventually(() => upstream.seen.some((s) => s.url.endsWith('/hang')), 3000, 'the request upstream');
    for (const session of upstream.sessions) session.destroy();
    const answered = await pending;
    assert.equal(answered.status, 503);
    const status = JSON.parse(answered.body) as { kind: string; reason: string; message: string };
    assert.deepEqual([status.kind, status.reason], ['Status', 'ServiceUnavailable']);
    assert.equal((await gatewayRequest(gw, pki, { path: '/api/v1/namespaces/default/configmaps/next' })).status, 200, 'a new connection serves the next');
  });
});

for (const protocol of ['http2', 'http1.1'] as const) {
  describe(`a watch whose upstream connection is lost (${protocol})`, () => {
    let pki: GatewayTestPki;
    let upstream: TestUpstream;
    let gw: TestGateway;
    const watches: ServerResponse[] = [];

    before(async () => {
      pki = createGatewayTestPki();
      upstream = await startTestUpstream(
        pki,
        (_req, res) => {
          watches.push(res);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write(event('one'));
        },
        protocol === 'http2' ? { http2: { maxConcurrentStreams: 100 } } : {},
      );
      gw = await startTestGateway({ pki, upstreamUrl: upstream.url, upstream: { protocol } });
    });
    after(async () => {
      await gw.close();
      await upstream.close();
      pki.cleanup();
    });

    const dropConnection = (res: ServerResponse): void => {
      if (protocol === 'http2') (res as unknown as { stream: { session: { destroy(): void } } }).stream.session.destroy();
      else res.socket?.destroy();
    };

    it('ends cleanly between two events, so the client re-watches', async () => {
      const w = await watchThrough(gw, pki, '/api/v1/namespaces/default/pods?watch=true&between');
      await eventually(() => w.text().includes('"one"'), 3000, 'the first event');
      const res = watches.pop()!;
      res.write(event('two'));
      await eventually(() => w.text().includes('"two"'), 3000, 'the second event');
      dropConnection(res);
      assert.deepEqual(await w.ended, { complete: true });
      assert.equal(w.text().split('\n').filter(Boolean).length, 2, 'both whole events, nothing else');
      await eventually(() => gw.logs.some((l) => l.msg.includes('the upstream ended the watch without a clean end')), 3000, 'the log line');
    });

    it('fails the response when an event was cut in half', async () => {
      const w = await watchThrough(gw, pki, '/api/v1/namespaces/default/pods?watch=true&halfway');
      await eventually(() => w.text().includes('"one"'), 3000, 'the first event');
      const res = watches.pop()!;
      const whole = event('cut-in-half');
      const half = whole.slice(0, whole.indexOf('cut-in') + 'cut-in'.length);
      res.write(half);
      await eventually(() => w.text().includes('cut-in'), 3000, 'half an event');
      dropConnection(res);
      assert.deepEqual(await w.ended, { complete: false });
    });
  });
}
