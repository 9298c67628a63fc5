/**
 * A pass-through Transform for an upstream response body that measures it on the way: wire bytes always;
 * for JSON and Kubernetes protobuf lists the decoded bytes, the items and their bytes, remainingItemCount
 * and continue, by streaming scanners that never buffer the body. A gzip body is decompressed on the
 * side, from a copy of each chunk, and scanned there; the chunk itself is passed on untouched. The side
 * decompressor's backpressure is honoured (memory stays bounded), and a failure in it or in a scanner
 * only ends the measurement, never the response.
 * A body that needs no decoding can be measured without the Transform: `tap` reads the chunks its source
 * emits anyway while it is relayed, and adds no stage (and no per-chunk hop) to the relay.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { Conversion } from '../k8s/media-type.js';
import { JsonListScanner } from './json-list-scanner.js';
import { ProtobufListScanner } from './protobuf-list-scanner.js';

export interface ResponseObservation {
  wireBytes: number;
  /** Bytes after content decoding (the wire bytes when not encoded). */
  decodedBytes: number;
  format: 'json' | 'protobuf' | 'other';
  items: number;
  itemBytes: number;
  remainingItemCount?: number;
  continue?: string;
  /** The body ended normally and was measured in full. */
  complete: boolean;
}

export interface ResponseObserver {
  /** The pass-through to relay the body through: made on the first call, the same one after. */
  passThrough(): Transform;
  /**
   * Instead of `passThrough()`: measures the chunks `source` emits while something else reads it. Returns
   * false (and does nothing) when the body needs decoding on the side; then the pass-through must be used.
   */
  tap(source: Readable): boolean;
  /** Ends a tapped measurement as incomplete: the body was cut short. */
  abort(): void;
  /** Settles when the body ended (and its side decompression finished) or the stream was destroyed. */
  result: Promise<ResponseObservation>;
}

export interface ObserveOptions {
  contentType?: string;
  contentEncoding?: string;
  /** The conversion asked for, when the Content-Type does not say (`as=Table` counts rows). */
  as?: Conversion;
  /**
   * Called once, as soon as the list's metadata is read (before its items), when it carries a continue
   * token: a client may ask for the next page before this body has ended and been learned from.
   */
  onContinue?: (page: { continue: string; remainingItemCount?: number }) => void;
}

type Scanner = { write(buf: Buffer): void; result(): { bytes: number; items: number; itemBytes: number; remainingItemCount?: number; continue?: string } };

function scannerFor(opts: ObserveOptions): { format: ResponseObservation['format']; scanner?: Scanner } {
  const [type = '', ...params] = (opts.contentType ?? '').toLowerCase().split(';').map((s) => s.trim());
  const asParam = params.find((p) => p.startsWith('as='))?.slice(3);
  const table = asParam === 'table' || (asParam === undefined && opts.as === 'Table');
  if (type === 'application/json') return { format: 'json', scanner: new JsonListScanner() };
  if (type === 'application/vnd.kubernetes.protobuf') return { format: 'protobuf', scanner: new ProtobufListScanner(table ? 3 : 2) };
  return { format: 'other' };
}

export function observeResponse(opts: ObserveOptions): ResponseObserver {
  const encoding = (opts.contentEncoding ?? '').trim().toLowerCase();
  let { format, scanner } = scannerFor(opts);
  const gunzip: Gunzip | undefined = encoding === 'gzip' && scanner ? createGunzip() : undefined;
  const decodable = encoding === '' || encoding === 'identity' || gunzip !== undefined;
  if (!decodable) ({ format, scanner } = { format: 'other', scanner: undefined });
  let wireBytes = 0;
  let failed = false;
  let ended = false;
  let waiting: TransformCallback | undefined;
  let settle: (complete: boolean) => void = () => undefined;
  const result = new Promise<ResponseObservation>((resolve) => {
    settle = (complete) => {
      settle = () => undefined;
      const scan = scanner?.result();
      resolve({
        wireBytes,
        decodedBytes: scan ? scan.bytes : wireBytes,
        format,
        items: scan?.items ?? 0,
        itemBytes: scan?.itemBytes ?? 0,
        ...(scan?.remainingItemCount !== undefined ? { remainingItemCount: scan.remainingItemCount } : {}),
        ...(scan?.continue !== undefined ? { continue: scan.continue } : {}),
        complete: complete && !failed,
      });
    };
  });
  let announced = !opts.onContinue;
  const announce = (): void => {
    const scan = scanner!.result();
    if (scan.continue === undefined || (scan.remainingItemCount === undefined && scan.items === 0)) return;
    announced = true;
    try {
      opts.onContinue!({ continue: scan.continue, ...(scan.remainingItemCount !== undefined ? { remainingItemCount: scan.remainingItemCount } : {}) });
    } catch {
      // the hook's failure is no failure of the measurement
    }
  };
  const feed = (buf: Buffer): void => {
    if (failed || !scanner) return;
    try {
      scanner.write(buf);
    } catch {
      failed = true;
      return;
    }
    if (!announced) announce();
  };
  const release = (): void => {
    const cb = waiting;
    waiting = undefined;
    cb?.();
  };
  if (gunzip) {
    gunzip.on('data', feed);
    gunzip.on('drain', release);
    gunzip.on('end', () => settle(true));
    gunzip.on('error', () => {
      failed = true;
      release();
      settle(false);
    });
  }

  const makeStream = (): Transform => new Transform({
    transform(chunk: Buffer, _enc, callback) {
      wireBytes += chunk.length;
      if (!gunzip || failed) {
        feed(chunk);
        callback(null, chunk);
        return;
      }
      this.push(chunk);
      if (gunzip.write(chunk)) callback();
      else waiting = callback;
    },
    flush(callback) {
      ended = true;
      if (gunzip && !failed) gunzip.end();
      else settle(true);
      callback();
    },
    destroy(err, callback) {
      // autoDestroy runs this after a normal end too: the side decompression then finishes on its own.
      if (!ended || err) {
        gunzip?.destroy();
        release();
        settle(false);
      }
      callback(err);
    },
  });
  let stream: Transform | undefined;
  return {
    // A method, not a getter: a getter in an object literal made per response gets a hidden class of its
    // own, which keeps the response's objects alive across young-generation collections.
    passThrough: () => (stream ??= makeStream()),
    tap(source) {
      if (gunzip || stream) return false;
      source.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        feed(chunk);
      });
      source.once('end', () => settle(true));
      return true;
    },
    abort() {
      if (stream) stream.destroy();
      else settle(false);
    },
    result,
  };
}
