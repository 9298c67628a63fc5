import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { observeResponse, type ObserveOptions, type ResponseObservation } from '../../src/estimate/observe-response.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';
import { ACCEPT } from './estimate-fixture.js';
import { protobufList } from './protobuf-list.js';

/** Deterministic chunk sizes in [1, max]. */
function split(buf: Buffer, seed: number, max: number): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < buf.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % max);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function run(chunks: Buffer[], opts: ObserveOptions): Promise<{ seen: ResponseObservation; out: Buffer }> {
  const observer = observeResponse(opts);
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(chunks, { objectMode: false }), observer.passThrough(), sink);
  return { seen: await observer.result, out: Buffer.concat(parts) };
}

function itemsOf(body: Buffer, key = 'items'): { items: number; itemBytes: number } {
  const list = JSON.parse(body.toString('utf8')) as Record<string, unknown[]>;
  const items = list[key]!;
  return { items: items.length, itemBytes: items.reduce((n: number, it) => n + Buffer.byteLength(JSON.stringify(it)), 0) };
}

describe('observeResponse', () => {
  let t: TestSimulator;
  let full: Buffer;
  let page: Buffer;
  let table: Buffer;
  before(async () => {
    t = await startTestSimulator({ seed: { namespaces: 3, secrets: 60, secretSize: 3000, pods: 30, deployments: 3 } });
    full = (await fetchSim(t, '/api/v1/secrets')).body;
    page = (await fetchSim(t, '/api/v1/secrets?limit=7')).body;
    table = (await fetchSim(t, '/api/v1/pods', { headers: { Accept: ACCEPT.table } })).body;
  });
  after(() => t.close());

  for (const [name, max] of [['1-byte chunks', 1], ['small chunks', 17], ['large chunks', 9000]] as const) {
    it(`counts a real JSON list's items and bytes in ${name}, passing the bytes through unchanged`, async () => {
      const { seen, out } = await run(max === 1 ? split(full, 1, 1) : split(full, max, max), { contentType: 'application/json' });
      assert.ok(out.equals(full));
      assert.deepEqual(
        { items: seen.items, itemBytes: seen.itemBytes, wire: seen.wireBytes, decoded: seen.decodedBytes, format: seen.format, complete: seen.complete },
        { ...itemsOf(full), wire: full.length, decoded: full.length, format: 'json', complete: true },
      );
      assert.equal(seen.items, 60);
      assert.equal(seen.continue, undefined);
    });
  }

  it('reads remainingItemCount and continue of a page', async () => {
    const meta = (JSON.parse(page.toString('utf8')) as { metadata: { continue: string; remainingItemCount: number } }).metadata;
    for (const seed of [3, 5, 11]) {
      const { seen } = await run(split(page, seed, 23), { contentType: 'application/json; charset=utf-8' });
      assert.equal(seen.items, 7);
      assert.equal(seen.remainingItemCount, 53);
      assert.equal(seen.continue, meta.continue);
    }
  });

  it('announces a page\'s continue token once, before its items have all passed', async () => {
    const meta = (JSON.parse(page.toString('utf8')) as { metadata: { continue: string } }).metadata;
    for (const seed of [3, 5, 11]) {
      const chunks = split(page, seed, 23);
      const calls: Array<{ at: number; page: { continue: string; remainingItemCount?: number } }> = [];
      let passed = 0;
      const observer = observeResponse({ contentType: 'application/json', onContinue: (p) => calls.push({ at: passed, page: p }) });
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          passed += chunk.length;
          cb();
        },
      });
      await pipeline(Readable.from(chunks, { objectMode: false }), observer.passThrough(), sink);
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0]!.page, { continue: meta.continue, remainingItemCount: 53 });
      assert.ok(calls[0]!.at < page.length / 2, `announced after ${calls[0]!.at} of ${page.length} bytes`);
    }
    const whole = observeResponse({ contentType: 'application/json', onContinue: () => assert.fail('no continue in a whole list') });
    await pipeline(Readable.from([full], { objectMode: false }), whole.passThrough(), new Writable({ write: (_c, _e, cb) => cb() }));
  });

  it('measures a gzip body on a decompressed side copy: wire bytes compressed, the rest decoded', async () => {
    const gz = gzipSync(full);
    const { seen, out } = await run(split(gz, 7, 4096), { contentType: 'application/json', contentEncoding: 'gzip' });
    assert.ok(out.equals(gz), 'the compressed bytes pass through untouched');
    assert.equal(seen.wireBytes, gz.length);
    assert.equal(seen.decodedBytes, full.length);
    assert.deepEqual({ items: seen.items, itemBytes: seen.itemBytes }, itemsOf(full));
    assert.ok(seen.complete);
  });

  it("counts a Table's rows", async () => {
    const { seen } = await run(split(table, 2, 300), { contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual({ items: seen.items, itemBytes: seen.itemBytes }, itemsOf(table, 'rows'));
    assert.equal(seen.items, 30);
  });

  it('is not fooled by escapes, nested items keys or strings split anywhere', async () => {
    const doc = Buffer.from(
      '{"kind":"List","metadata":{"continue":"a\\"b\\\\","remainingItemCount":12},' +
        '"items":[{"items":["x"],"s":"q\\"}{[\\\\"},{"k":"\\\\\\"]"} , {"n":[1,{"items":[]}]}],"tail":"]}"}',
    );
    const expected = itemsOf(doc);
    for (let cut = 1; cut < doc.length; cut++) {
      const { seen } = await run([doc.subarray(0, cut), doc.subarray(cut)], { contentType: 'application/json' });
      assert.deepEqual(
        { items: seen.items, itemBytes: seen.itemBytes, cont: seen.continue, rest: seen.remainingItemCount },
        { ...expected, cont: 'a"b\\', rest: 12 },
        `cut at ${cut}`,
      );
    }
  });

  it('counts protobuf list items from their length prefixes, in any chunking', async () => {
    const items = [Buffer.alloc(10, 1), Buffer.alloc(300, 2), Buffer.alloc(70_000, 3)];
    const body = protobufList({ items, resourceVersion: '42', continue: 'tok', remainingItemCount: 5 });
    for (const max of [1, 7, 1000]) {
      const { seen } = await run(max === 1 ? split(body, 9, 1) : split(body, max, max), { contentType: 'application/vnd.kubernetes.protobuf' });
      // Each item counts with its framing: a tag byte and the length varint (1, 2 and 3 bytes here).
      assert.deepEqual(
        { items: seen.items, itemBytes: seen.itemBytes, cont: seen.continue, rest: seen.remainingItemCount, format: seen.format },
        { items: 3, itemBytes: 10 + 2 + 300 + 3 + 70_000 + 4, cont: 'tok', rest: 5, format: 'protobuf' },
      );
    }
    const rows = protobufList({ items: [Buffer.alloc(5)], columns: 2, itemField: 3 });
    const { seen } = await run([rows], { contentType: 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(seen.items, 1, 'a Table counts its rows, not its column definitions');
  });

  it('reports an incomplete measurement when the stream is destroyed or the gzip is corrupt', async () => {
    const observer = observeResponse({ contentType: 'application/json' });
    observer.passThrough().write(full.subarray(0, 5000));
    observer.passThrough().destroy();
    const cut = await observer.result;
    assert.equal(cut.complete, false);
    assert.equal(cut.wireBytes, 5000);

    const gz = gzipSync(full);
    const broken = Buffer.concat([gz.subarray(0, 2000), Buffer.alloc(3000, 7)]);
    const { seen, out } = await run(split(broken, 4, 512), { contentType: 'application/json', contentEncoding: 'gzip' });
    assert.ok(out.equals(broken), 'the client still gets every byte');
    assert.equal(seen.complete, false);
  });

  it('tapped, measures a plain body from the chunks its source emits, as the stream does', async () => {
    const chunks = split(full, 5, 9000);
    const observer = observeResponse({ contentType: 'application/json' });
    const source = Readable.from(chunks, { objectMode: false });
    assert.equal(observer.tap(source), true);
    const parts: Buffer[] = [];
    for await (const chunk of source) parts.push(chunk as Buffer);
    const seen = await observer.result;
    assert.ok(Buffer.concat(parts).equals(full));
    assert.deepEqual({ ...itemsOf(full), wire: full.length, complete: true }, { items: seen.items, itemBytes: seen.itemBytes, wire: seen.wireBytes, complete: seen.complete });
    assert.deepEqual(seen, (await run(chunks, { contentType: 'application/json' })).seen, 'tap and stream measure alike');
  });

  it('tapped, a body cut short is incomplete; a gzip body cannot be tapped', async () => {
    const observer = observeResponse({ contentType: 'application/json' });
    const source = new Readable({ read: () => undefined });
    assert.equal(observer.tap(source), true);
    source.on('data', () => undefined);
    source.push(full.subarray(0, 4000));
    await new Promise((r) => setImmediate(r));
    observer.abort();
    const cut = await observer.result;
    assert.deepEqual({ complete: cut.complete, wire: cut.wireBytes }, { complete: false, wire: 4000 });
    const gzipped = observeResponse({ contentType: 'application/json', contentEncoding: 'gzip' });
    assert.equal(gzipped.tap(Readable.from([gzipSync(full)])), false, 'gzip is decoded on the side, through the stream');
  });

  it('passes other formats and encodings through, counting wire bytes only', async () => {
    const yaml = Buffer.from('apiVersion: v1\nitems: []\nkind: List\n');
    const { seen } = await run([yaml], { contentType: 'application/yaml' });
    assert.deepEqual({ format: seen.format, wire: seen.wireBytes, decoded: seen.decodedBytes, items: seen.items }, { format: 'other', wire: yaml.length, decoded: yaml.length, items: 0 });
    const br = await run([full], { contentType: 'application/json', contentEncoding: 'br' });
    assert.equal(br.seen.format, 'other');
  });
});
