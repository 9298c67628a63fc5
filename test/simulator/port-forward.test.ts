/**
 * pods/portforward on the simulator, spoken to with a small SPDY/3 client (the frames kubectl's spdystream
 * sends): stream pairs by request id, PING echoed, protocol errors answered with RST_STREAM, and the
 * refusals that happen before any upgrade (a plain request, a WebSocket without the tunnelling protocol, a
 * missing pod). Real kubectl over both transports is in test/e2e/port-forward-through-gateway.test.ts.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  FLAG_FIN, FRAME, RST, createFrameReader, decodeHeaderBlock, encodeControlFrame, encodeDataFrame, encodeHeaderBlock, words, type SpdyFrame,
} from '../../src/simulator/spdy-frames.js';
import { createHeaderCodec } from '../../src/simulator/spdy-header-codec.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

interface SpdyClient {
  frames: SpdyFrame[];
  send(frame: Buffer): void;
  synStream(id: number, headers: Record<string, string>, fin?: boolean): Promise<void>;
  /** Resolves with the first frame (at or after the read position) that matches, advancing past it. */
  next(match: (f: SpdyFrame) => boolean): Promise<SpdyFrame>;
  codec: ReturnType<typeof createHeaderCodec>;
  close(): void;
}

function connectSpdy(t: TestSimulator, path: string): Promise<SpdyClient> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: t.port, path, method: 'POST', ca: t.caPem, cert: t.admin.certPem, key: t.admin.keyPem, agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' },
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket: Duplex) => {
      assert.equal(res.headers['x-stream-protocol-version'], 'portforward.k8s.io');
      const reader = createFrameReader();
      const codec = createHeaderCodec();
      const frames: SpdyFrame[] = [];
      let cursor = 0;
      let wake = (): void => undefined;
      socket.on('data', (chunk: Buffer) => {
        frames.push(...reader.push(chunk));
        wake();
      });
      resolve({
        frames,
        codec,
        send: (frame) => void socket.write(frame),
        async synStream(id, headers, fin = false) {
          const block = await codec.deflate(encodeHeaderBlock(new Map(Object.entries(headers).map(([k, v]) => [k, [v]]))));
          socket.write(encodeControlFrame(FRAME.SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([words(id, 0), Buffer.from([0, 0]), block])));
        },
        next(match) {
          return new Promise((found) => {
            const check = (): void => {
              for (; cursor < frames.length; cursor++) {
                if (match(frames[cursor]!)) return found(frames[cursor++]!);
              }
              wake = check;
            };
            check();
          });
        },
        close: () => {
          codec.close();
          socket.destroy();
        },
      });
    });
    req.end();
  });
}

const control = (type: number, id?: number) => (f: SpdyFrame): boolean =>
  f.kind === 'control' && f.type === type && (id === undefined || f.payload.readUInt32BE(0) === id);

describe('pods/portforward over SPDY', () => {
  let t: TestSimulator;
  let client: SpdyClient;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 0, secrets: 0, configmaps: 0, pods: 1, deployments: 0 } });
    client = await connectSpdy(t, '/api/v1/namespaces/default/pods/pod-0/portforward');
  });
  after(async () => {
    client?.close();
    await t.close();
  });

  it('replies to each stream, pairs error and data streams by request id and carries HTTP to the pod', async () => {
    await client.synStream(1, { streamtype: 'error', port: '8080', requestid: '0' });
    const reply = await client.next(control(FRAME.SYN_REPLY, 1));
    assert.equal(decodeHeaderBlock(await client.codec.inflate((reply as { payload: Buffer }).payload.subarray(4))).size, 0);
    client.send(encodeDataFrame(1, Buffer.alloc(0), true));
    await client.synStream(3, { streamtype: 'data', port: '8080', requestid: '0' });
    await client.next(control(FRAME.SYN_REPLY, 3));
    client.send(encodeDataFrame(3, Buffer.from('GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), false));
    const data: Buffer[] = [];
    for (;;) {
      const f = await client.next((x) => x.kind === 'data' && x.streamId === 3);
      if (f.kind !== 'data') continue;
      data.push(f.data);
      if (f.flags & FLAG_FIN) break;
    }
    assert.match(Buffer.concat(data).toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\npod default\/pod-0 container main port 8080: GET \/ping \(0 bytes\)\n$/);
    const errorEnd = await client.next((x) => x.kind === 'data' && x.streamId === 1);
    assert.deepEqual([(errorEnd as { data: Buffer }).data.length, errorEnd.flags & FLAG_FIN], [0, FLAG_FIN], 'the error stream closes empty');
  });

  it('writes the refusal of a port nothing listens on to the error stream', async () => {
    await client.synStream(5, { streamtype: 'error', port: '81', requestid: '1' });
    await client.synStream(7, { streamtype: 'data', port: '81', requestid: '1' });
    const message = await client.next((x) => x.kind === 'data' && x.streamId === 5 && x.data.length > 0);
    assert.match((message as { data: Buffer }).data.toString(), /^error forwarding port 81 to pod pod-0, uid .*: failed to connect to localhost:81 inside namespace/);
  });

  it('echoes PINGs and resets streams it cannot take', async () => {
    client.send(encodeControlFrame(FRAME.PING, 0, words(41)));
    assert.equal((await client.next(control(FRAME.PING, 41))).kind, 'control');
    await client.synStream(8, { streamtype: 'data', port: '8080', requestid: '2' });
    const even = await client.next(control(FRAME.RST_STREAM, 8));
    assert.equal((even as { payload: Buffer }).payload.readUInt32BE(4), RST.PROTOCOL_ERROR);
    await client.synStream(9, { port: '8080', requestid: '3' });
    await client.next(control(FRAME.SYN_REPLY, 9));
    const untyped = await client.next(control(FRAME.RST_STREAM, 9));
    assert.equal((untyped as { payload: Buffer }).payload.readUInt32BE(4), RST.CANCEL);
  });

  it('refuses what is not a port-forward upgrade, before upgrading', async () => {
    const plain = await fetchSim(t, '/api/v1/namespaces/default/pods/pod-0/portforward');
    assert.deepEqual([plain.status, (plain.json as { message: string }).message], [400, 'Upgrade request required']);
    const ws = await fetchSim(t, '/api/v1/namespaces/default/pods/pod-0/portforward', {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' },
    });
    assert.equal(ws.status, 400);
    assert.match((ws.json as { message: string }).message, /supports \[SPDY\/3\.1\+portforward\.k8s\.io\]/);
    await assert.rejects(connectSpdy(t, '/api/v1/namespaces/default/pods/no-such-pod/portforward'), /no upgrade: 404/);
  });
});

describe('SPDY frame reader', () => {
  it('reassembles frames split anywhere and keeps several frames of one chunk apart', () => {
    const frames = Buffer.concat([encodeControlFrame(FRAME.PING, 0, words(1)), encodeDataFrame(3, Buffer.from('hello'), true)]);
    for (let cut = 0; cut <= frames.length; cut++) {
      const reader = createFrameReader();
      const out = [...reader.push(frames.subarray(0, cut)), ...reader.push(frames.subarray(cut))];
      assert.equal(out.length, 2, `cut at ${cut}`);
      assert.deepEqual(out[0], { kind: 'control', version: 3, type: FRAME.PING, flags: 0, payload: words(1) });
      assert.deepEqual(out[1], { kind: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('hello') });
    }
  });
});
