/**
 * A pass-through stream that counts the bytes it relays. It keeps the default buffering of a stream
 * (one highWaterMark), so it adds no memory to the path and keeps backpressure intact.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    callback(null, chunk);
  }
}
