/**
 * relay(): the proxy's replacement for stream.pipeline on the response path. Pinned here with real
 * streams: it ends once when the destination finishes, counts what reaches the destination, keeps
 * backpressure, and on an error or a premature close anywhere destroys every stream and reports once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { relay } from '../../src/gateway/relay.js';

function sink(opts: { highWaterMark?: number; delayMs?: number } = {}): Writable & { received: Buffer[] } {
  const received: Buffer[] = [];
  const w = new Writable({
    highWaterMark: opts.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk);
      if (opts.delayMs) setTimeout(cb, opts.delayMs);
      else cb();
    },
  });
  return Object.assign(w, { received });
}

function outcome(): { done: (err: Error | null) => void; calls: Array<Error | null>; settled: Promise<Error | null> } {
  const calls: Array<Error | null> = [];
  let resolve!: (err: Error | null) => void;
  const settled = new Promise<Error | null>((r) => (resolve = r));
  return {
    calls,
    settled,
    done: (err) => {
      calls.push(err);
      resolve(err);
    },
  };
}

describe('relay', () => {
  it('delivers every byte through the stages, counts them, and reports success once', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000, i));
    const upper = new Transform({ transform: (chunk: Buffer, _e, cb) => cb(null, chunk) });
    const dest = sink();
    const o = outcome();
    let counted = 0;
    relay([Readable.from(chunks), upper, dest], { onBytes: (n) => (counted += n) }, o.done);
    assert.equal(await o.settled, null);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(o.calls, [null]);
    assert.equal(counted, 50_000);
    assert.deepEqual(Buffer.concat(dest.received), Buffer.concat(chunks));
  });

  it('keeps backpressure: a slow destination holds the source back', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1024,
      read() {
        produced += 1024;
        this.push(produced > 256 * 1024 ? null : Buffer.alloc(1024));
      },
    });
    const dest = sink({ highWaterMark: 1024, delayMs: 1 });
    const o = outcome();
    relay([source, dest], {}, o.done);
    await new Promise((r) => setTimeout(r, 30));
    // Unbounded reading would have produced the whole 256 KiB by now; a few buffers' worth at most.
    assert.ok(produced < 64 * 1024, `source read ahead ${produced} bytes`);
    source.destroy();
    assert.equal((await o.settled)?.message, 'Premature close');
  });

  it('a source error destroys every stream and is reported once', async () => {
    const source = new PassThrough();
    const middle = new PassThrough();
    const dest = sink();
    const o = outcome();
    relay([source, middle, dest], {}, o.done);
    source.write('partial');
    source.destroy(new Error('upstream reset'));
    assert.equal((await o.settled)?.message, 'upstream reset');
    await new Promise((r) => setImmediate(r));
    assert.equal(o.calls.length, 1);
    assert.ok(middle.destroyed && dest.destroyed);
  });

  it('the destination closing first (the client left) is a premature close that stops the source', async () => {
    const source = new PassThrough();
    const dest = sink();
    const o = outcome();
    relay([source, dest], {}, o.done);
    source.write('some');
    dest.destroy();
    const err = await o.settled;
    assert.equal((err as NodeJS.ErrnoException).code, 'ERR_STREAM_PREMATURE_CLOSE');
    assert.ok(source.destroyed);
  });

  it('a stage that fails mid-stream stops the relay with its error', async () => {
    const source = new PassThrough();
    const failing = new Transform({ transform: (_chunk, _e, cb) => cb(new Error('cannot scan')) });
    const dest = sink();
    const o = outcome();
    relay([source, failing, dest], {}, o.done);
    source.write('x');
    assert.equal((await o.settled)?.message, 'cannot scan');
    assert.ok(source.destroyed && dest.destroyed);
    // An error emitted after the relay settled is still handled (no unhandled 'error' event).
    source.emit('error', new Error('late'));
    assert.equal(o.calls.length, 1);
  });
});
