import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUpstreamFetch, UpstreamFetchError, type UpstreamRequester } from '../../src/estimate/upstream-fetch.js';

describe('createUpstreamFetch', () => {
  let server: Server;
  let upstream: UpstreamRequester;
  const seen: Array<{ url: string; auth: string | undefined; host: string | undefined }> = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, host: req.headers.host });
      switch (req.url) {
        case '/ok':
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"items":[],"metadata":{"remainingItemCount":4}}');
          break;
        case '/forbidden':
          res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"kind":"Status","code":403}');
          break;
        case '/cut':
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '1000' }).write('partial', () => res.socket?.destroy());
          break;
        case '/big':
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('x'.repeat(5000));
          break;
        default: // '/silent': never answers
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    upstream = {
      hostHeader: `127.0.0.1:${port}`,
      token: 'gateway-token',
      request: (o) => request({ host: '127.0.0.1', port, method: o.method, path: o.path, headers: [...o.headers], setHost: false, agent: false }),
    };
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reads JSON as the gateway, with its Host and token', async () => {
    const f = createUpstreamFetch(upstream);
    assert.deepEqual(await f.fetchJson('/ok'), { items: [], metadata: { remainingItemCount: 4 } });
    assert.deepEqual(seen.at(-1), { url: '/ok', auth: 'Bearer gateway-token', host: upstream.hostHeader });
  });

  it('rejects a non-2xx answer with its status', async () => {
    await assert.rejects(createUpstreamFetch(upstream).fetchJson('/forbidden'), (err: unknown) => err instanceof UpstreamFetchError && err.status === 403);
  });

  it('always settles: silence, an answer cut short, an answer too large', async () => {
    const f = createUpstreamFetch(upstream, { timeoutMs: 200, maxBytes: 1000 });
    await assert.rejects(f.fetchText('/silent'), /no complete answer within 200 ms/);
    await assert.rejects(f.fetchText('/cut'), UpstreamFetchError);
    await assert.rejects(f.fetchText('/big'), /larger than 1000 bytes/);
  });
});
