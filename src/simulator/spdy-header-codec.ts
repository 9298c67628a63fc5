/**
 * SPDY/3 header compression (section 2.6.10): each direction of a connection is one zlib stream primed
 * with the SPDY dictionary, flushed (Z_SYNC_FLUSH) at the end of every header block, so each block
 * decompresses alone but only in order. Node's zlib streams are asynchronous; calls are chained so
 * blocks go through in the order they were given.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

export interface HeaderCodec {
  /** The next compressed block from the peer, decompressed. */
  inflate(block: Buffer): Promise<Buffer>;
  /** A header block to send, compressed as the next block of this side's stream. */
  deflate(block: Buffer): Promise<Buffer>;
  close(): void;
}

function flushThrough(z: Inflate | Deflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => reject(err);
    z.once('error', fail);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('error', fail);
      const out: Buffer[] = [];
      for (let chunk = z.read() as Buffer | null; chunk !== null; chunk = z.read() as Buffer | null) out.push(chunk);
      resolve(Buffer.concat(out));
    });
  });
}

export function createHeaderCodec(): HeaderCodec {
  const inflater = createInflate({ dictionary: SPDY3_DICTIONARY });
  const deflater = createDeflate({ dictionary: SPDY3_DICTIONARY });
  let inChain: Promise<unknown> = Promise.resolve();
  let outChain: Promise<unknown> = Promise.resolve();
  return {
    inflate(block) {
      const next = inChain.then(() => flushThrough(inflater, block));
      inChain = next.catch(() => undefined);
      return next;
    },
    deflate(block) {
      const next = outChain.then(() => flushThrough(deflater, block));
      outChain = next.catch(() => undefined);
      return next;
    },
    close() {
      inflater.destroy();
      deflater.destroy();
    },
  };
}
