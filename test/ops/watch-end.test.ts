/**
 * WatchEnd: a watch stream passes through unchanged, and once stopped it ends after the event in
 * progress — never in the middle of one — for JSON lines and length-prefixed protobuf frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatchEnd } from '../../src/gateway/watch-end.js';

/** Writes the chunks, stopping before chunk `stopBefore`; resolves with everything that came out. */
function run(headers: ConstructorParameters<typeof WatchEnd>[0], chunks: Buffer[], stopBefore: number): Promise<{ out: Buffer; ended: boolean }> {
  const end = new WatchEnd(headers);
  const out: Buffer[] = [];
  end.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<boolean>((resolve) => {
    end.once('end', () => resolve(true));
    setTimeout(() => resolve(false), 200);
  });
  chunks.forEach((chunk, i) => {
    if (i === stopBefore) end.stop();
    end.write(chunk);
  });
  if (stopBefore >= chunks.length) end.stop();
  return ended.then((didEnd) => ({ out: Buffer.concat(out), ended: didEnd }));
}

const json = { 'content-type': 'application/json' };
const event = (n: number) => `{"type":"ADDED","object":{"metadata":{"name":"o-${n}"}}}\n`;

describe('WatchEnd: JSON lines', () => {
  it('passes everything through while not stopped', async () => {
    const end = new WatchEnd(json);
    const text = event(1) + event(2);
    end.end(Buffer.from(text));
    let out = '';
    for await (const c of end) out += String(c);
    assert.equal(out, text);
  });

  it('ends at once when stopped between events', async () => {
    const r = await run(json, [Buffer.from(event(1)), Buffer.from(event(2))], 1);
    assert.deepEqual([r.out.toString(), r.ended], [event(1), true]);
  });

  it('finishes the event in progress, then drops what follows', async () => {
    const whole = event(1) + event(2);
    const chunks = [Buffer.from(whole.slice(0, 10)), Buffer.from(whole.slice(10, 30)), Buffer.from(whole.slice(30))];
    const r = await run(json, chunks, 1);
    assert.deepEqual([r.out.toString(), r.ended], [event(1), true]);
  });

  it('waits for the newline across several chunks', async () => {
    const e = event(7);
    const r = await run(json, [Buffer.from(e.slice(0, 5)), Buffer.from(e.slice(5, 20)), Buffer.from(e.slice(20))], 1);
    assert.deepEqual([r.out.toString(), r.ended], [e, true]);
  });

  it('ends at once with a compressed body it cannot frame', async () => {
    const r = await run({ ...json, 'content-encoding': 'gzip' }, [Buffer.from('abc'), Buffer.from('def')], 1);
    assert.deepEqual([r.out.toString(), r.ended], ['abc', true]);
  });
});

describe('WatchEnd: length-prefixed protobuf frames', () => {
  const proto = { 'content-type': 'application/vnd.kubernetes.protobuf;stream=watch' };
  const frame = (body: string) => {
    const b = Buffer.from(body);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(b.length);
    return Buffer.concat([header, b]);
  };

  it('finishes the frame in progress when stopped inside its header', async () => {
    const stream = Buffer.concat([frame('first'), frame('second-frame'), frame('third')]);
    const cut = frame('first').length + 2;
    const r = await run(proto, [stream.subarray(0, cut), stream.subarray(cut)], 1);
    assert.deepEqual([r.out, r.ended], [Buffer.concat([frame('first'), frame('second-frame')]), true]);
  });

  it('finishes the frame in progress when stopped inside its body, and handles empty frames', async () => {
    const stream = Buffer.concat([frame(''), frame('0123456789'), frame('next')]);
    const cut = 4 + 4 + 3;
    const r = await run(proto, [stream.subarray(0, cut), stream.subarray(cut, cut + 2), stream.subarray(cut + 2)], 1);
    assert.deepEqual([r.out, r.ended], [Buffer.concat([frame(''), frame('0123456789')]), true]);
  });

  it('ends at once between frames', async () => {
    const r = await run(proto, [frame('a'), frame('b')], 1);
    assert.deepEqual([r.out, r.ended], [frame('a'), true]);
  });
});
