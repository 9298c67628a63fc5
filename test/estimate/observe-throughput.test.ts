/**
 * Throughput of observeResponse against a plain PassThrough, on generated JSON lists streamed in 64 KiB
 * chunks (nothing held in memory but one item template): pod-like items (many short strings and nesting,
 * the scanner's worst case), secret-like items (long base64 strings, skipped by indexOf) and a gzip body.
 * The bounds are generous (a slow CI machine must pass); the measured MB/s are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { observeResponse } from '../../src/estimate/observe-response.js';

const CHUNK = 64 * 1024;

function podItem(i: number): string {
  const labels = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`label-${k}`, `value-${i}-${k}`]));
  const containers = Array.from({ length: 3 }, (_, k) => ({
    name: `c${k}`,
    image: 'registry.k8s.io/pause:3.10',
    env: Array.from({ length: 10 }, (_, e) => ({ name: `ENV_${e}`, value: `v\\"${e}` })),
    resources: { requests: { cpu: '100m', memory: '64Mi' } },
  }));
  return JSON.stringify({ metadata: { name: `pod-${i}`, namespace: 'ns', labels, uid: '0f3c1a2e-aaaa-4bbb-8ccc-1234567890ab' }, spec: { containers }, status: { phase: 'Running' } });
}

function secretItem(i: number): string {
  return JSON.stringify({ metadata: { name: `secret-${i}`, namespace: 'ns' }, data: { payload: Buffer.alloc(48 * 1024, i % 251).toString('base64') }, type: 'Opaque' });
}

/** A JSON list of `total` bytes or a little more, in CHUNK-sized buffers. */
function* listBody(item: Buffer, total: number): Generator<Buffer> {
  const head = Buffer.from('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[');
  let pending: Buffer[] = [head];
  let size = head.length;
  let sent = 0;
  let first = true;
  const comma = Buffer.from(',');
  while (sent + size < total) {
    if (!first) {
      pending.push(comma);
      size += 1;
    }
    first = false;
    pending.push(item);
    size += item.length;
    if (size >= CHUNK) {
      const buf = Buffer.concat(pending);
      yield buf;
      sent += buf.length;
      pending = [];
      size = 0;
    }
  }
  pending.push(Buffer.from(']}'));
  yield Buffer.concat(pending);
}

async function measure(source: () => Iterable<Buffer>, through: () => Transform): Promise<{ mbps: number; bytes: number }> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  const start = performance.now();
  await pipeline(Readable.from(source()), through(), sink);
  const seconds = (performance.now() - start) / 1000;
  return { mbps: bytes / 1e6 / seconds, bytes };
}

describe('observeResponse throughput', () => {
  const cases = [
    { name: 'pod-like JSON (worst case)', item: Buffer.from(podItem(1)), total: 256e6 },
    { name: 'secret-like JSON (long strings)', item: Buffer.from(secretItem(1)), total: 256e6 },
  ];
  for (const c of cases) {
    it(`${c.name}: far faster than an apiserver sends`, async (t) => {
      const base = await measure(() => listBody(c.item, c.total), () => new PassThrough());
      let observed = 0;
      const seen = await measure(
        () => listBody(c.item, c.total),
        () => {
          const o = observeResponse({ contentType: 'application/json' });
          void o.result.then((r) => (observed = r.items));
          return o.passThrough();
        },
      );
      await new Promise((r) => setImmediate(r));
      t.diagnostic(`${c.name}: ${seen.mbps.toFixed(0)} MB/s observed vs ${base.mbps.toFixed(0)} MB/s plain pass-through, ${(seen.bytes / 1e6).toFixed(0)} MB`);
      assert.ok(observed > 0);
      assert.ok(seen.mbps > 50, `${seen.mbps} MB/s`);
    });
  }

  it('gzip JSON: decompressed on the side', async (t) => {
    // One gzip member of ~32 MB of pod-like JSON, sent 4 times (a multi-member gzip stream).
    const member = gzipSync(Buffer.concat([...listBody(Buffer.from(podItem(2)), 32e6)]));
    const body = function* () {
      for (let r = 0; r < 4; r++) for (let i = 0; i < member.length; i += CHUNK) yield member.subarray(i, i + CHUNK);
    };
    let decoded = 0;
    const seen = await measure(body, () => {
      const o = observeResponse({ contentType: 'application/json', contentEncoding: 'gzip' });
      void o.result.then((r) => (decoded = r.decodedBytes));
      return o.passThrough();
    });
    await new Promise((r) => setTimeout(r, 50));
    const decodedMbps = (decoded / seen.bytes) * seen.mbps;
    t.diagnostic(`gzip: ${seen.mbps.toFixed(0)} MB/s on the wire, ${decodedMbps.toFixed(0)} MB/s decoded (${(decoded / 1e6).toFixed(0)} MB)`);
    assert.ok(decoded > 100e6);
    assert.ok(decodedMbps > 25, `${decodedMbps} MB/s decoded`);
  });
});
