/**
 * SPDY/3 framing (SPDY Protocol Draft 3, section 2.2; what github.com/moby/spdystream speaks for kubectl's
 * port-forward): a control frame is `1 | version(15) | type(16) | flags(8) | length(24) | payload`, a data
 * frame `0 | stream id(31) | flags(8) | length(24) | data`. Header blocks are a count and
 * length-prefixed names and values (32-bit lengths; several values of one name are joined by NUL),
 * zlib-compressed per connection (spdy-header-codec.ts).
 */

export const SPDY_VERSION = 3;

export const FRAME = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;

/** RST_STREAM status codes (section 2.6.3). */
export const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** GOAWAY status codes (section 2.6.6). */
export const GOAWAY = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; version: number; type: number; flags: number; payload: Buffer };

const HEADER_BYTES = 8;
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** Splits a byte stream into frames, keeping a partial frame until the rest arrives. */
export function createFrameReader(): { push(chunk: Buffer): SpdyFrame[] } {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const frames: SpdyFrame[] = [];
      while (pending.length >= HEADER_BYTES) {
        const length = pending.readUInt32BE(4) & 0xffffff;
        if (pending.length < HEADER_BYTES + length) break;
        const first = pending.readUInt32BE(0);
        const flags = pending[4]!;
        const body = pending.subarray(HEADER_BYTES, HEADER_BYTES + length);
        frames.push(
          first & 0x80000000
            ? { kind: 'control', version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload: body }
            : { kind: 'data', streamId: first & 0x7fffffff, flags, data: body },
        );
        pending = pending.subarray(HEADER_BYTES + length);
      }
      return frames;
    },
  };
}

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY frame payload of ${length} bytes is over ${MAX_FRAME_PAYLOAD}`);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(first >>> 0, 0);
  head.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
  return head;
}

export function encodeControlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader((0x8000 | SPDY_VERSION) << 16 | type, flags, payload.length), payload]);
}

export function encodeDataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  return Buffer.concat([frameHeader(streamId & 0x7fffffff, fin ? FLAG_FIN : 0, data.length), data]);
}

/** 32-bit big-endian words, the payload of RST_STREAM, PING, GOAWAY and friends. */
export function words(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32BE(v >>> 0, i * 4));
  return buf;
}

export type HeaderBlock = Map<string, string[]>;

export function encodeHeaderBlock(headers: HeaderBlock): Buffer {
  const parts: Buffer[] = [words(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(words(n.length), n, words(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed header block; throws on a truncated or malformed block. */
export function decodeHeaderBlock(block: Buffer): HeaderBlock {
  let pos = 0;
  const take = (n: number): Buffer => {
    if (pos + n > block.length) throw new Error('truncated SPDY header block');
    const out = block.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const count = take(4).readUInt32BE(0);
  const headers: HeaderBlock = new Map();
  for (let i = 0; i < count; i++) {
    const name = take(take(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const value = take(take(4).readUInt32BE(0)).toString('utf8');
    headers.set(name, [...(headers.get(name) ?? []), ...value.split('\0')]);
  }
  return headers;
}
