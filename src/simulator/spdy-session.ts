/**
 * The server side of a SPDY/3 connection, the subset kubectl's port-forward needs (the kubelet's end of
 * k8s.io/apimachinery/pkg/util/httpstream/spdy over github.com/moby/spdystream):
 * - SYN_STREAM opens a stream (odd, increasing ids); the server answers SYN_REPLY with no headers
 *   (httpstream/spdy connection.go newSpdyStream) before handing the stream on, so its data follows the reply;
 * - DATA carries bytes, FLAG_FIN half-closes a direction; RST_STREAM drops a stream; PING is echoed;
 *   GOAWAY stops new streams; SETTINGS and WINDOW_UPDATE are read and ignored (spdystream sends no
 *   flow control), HEADERS is decompressed to keep the header stream in step and otherwise ignored.
 * Each stream is a Duplex: its writable side sends DATA (FIN on end), its readable side yields the peer's
 * DATA (ended by the peer's FIN). Backpressure: a stream that does not read pauses the transport; writes
 * wait for the transport to drain.
 */
import { Duplex, type Duplex as DuplexType } from 'node:stream';
import {
  FLAG_FIN, FRAME, GOAWAY, RST, createFrameReader, decodeHeaderBlock, encodeControlFrame, encodeDataFrame, encodeHeaderBlock,
  words, type HeaderBlock, type SpdyFrame,
} from './spdy-frames.js';
import { createHeaderCodec } from './spdy-header-codec.js';

const MAX_DATA_FRAME = 64 * 1024;

export interface SpdySessionOptions {
  onStream(stream: SpdyStream): void;
  /** Called once when the session ends (transport closed or protocol error). */
  onClose?(err?: Error): void;
}

export class SpdyStream extends Duplex {
  remoteFin = false;
  localFin = false;
  private reset = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderBlock,
    private readonly session: { send(frame: Buffer): Promise<void>; resumeInput(): void; forget(stream: SpdyStream): void },
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a request header (names are lower case). */
  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  override _read(): void {
    this.session.resumeInput();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const frames: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += MAX_DATA_FRAME) frames.push(encodeDataFrame(this.id, chunk.subarray(at, at + MAX_DATA_FRAME), false));
    this.session.send(Buffer.concat(frames)).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.localFin = true;
    this.session.send(encodeDataFrame(this.id, Buffer.alloc(0), true)).then(() => {
      if (this.remoteFin) this.session.forget(this);
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.reset && !(this.localFin && this.remoteFin)) void this.session.send(encodeControlFrame(FRAME.RST_STREAM, 0, words(this.id, RST.CANCEL))).catch(() => undefined);
    this.session.forget(this);
    done(err);
  }

  /** The peer's RST_STREAM: gone without a word back. */
  resetByPeer(): void {
    this.reset = true;
    this.destroy();
  }
}

export function createSpdyServerSession(transport: DuplexType, opts: SpdySessionOptions): { close(): void } {
  const codec = createHeaderCodec();
  const reader = createFrameReader();
  const streams = new Map<number, SpdyStream>();
  let lastStreamId = 0;
  let goingAway = false;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const send = (frame: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed || transport.destroyed) return reject(new Error('the SPDY connection is closed'));
      if (transport.write(frame)) return resolve();
      const settle = (): void => {
        transport.off('drain', settle);
        transport.off('close', settle);
        resolve();
      };
      transport.on('drain', settle);
      transport.on('close', settle);
    });
  const session = {
    send,
    resumeInput: () => transport.resume(),
    forget: (stream: SpdyStream) => void streams.delete(stream.id),
  };

  const shutdown = (err?: Error): void => {
    if (closed) return;
    closed = true;
    for (const stream of streams.values()) stream.destroy();
    streams.clear();
    codec.close();
    transport.destroy();
    opts.onClose?.(err);
  };
  const protocolError = (why: string): void => {
    if (!transport.destroyed) transport.write(encodeControlFrame(FRAME.GOAWAY, 0, words(lastStreamId, GOAWAY.PROTOCOL_ERROR)));
    shutdown(new Error(`SPDY protocol error: ${why}`));
  };

  const openStream = async (payload: Buffer, flags: number): Promise<void> => {
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = decodeHeaderBlock(await codec.inflate(payload.subarray(10)));
    if (id % 2 === 0 || id <= lastStreamId) {
      void send(encodeControlFrame(FRAME.RST_STREAM, 0, words(id, RST.PROTOCOL_ERROR))).catch(() => undefined);
      return;
    }
    lastStreamId = id;
    if (goingAway) {
      void send(encodeControlFrame(FRAME.RST_STREAM, 0, words(id, RST.REFUSED_STREAM))).catch(() => undefined);
      return;
    }
    const reply = await codec.deflate(encodeHeaderBlock(new Map()));
    const stream = new SpdyStream(id, headers, session);
    streams.set(id, stream);
    await send(encodeControlFrame(FRAME.SYN_REPLY, 0, Buffer.concat([words(id), reply])));
    if (flags & FLAG_FIN) {
      stream.remoteFin = true;
      stream.push(null);
    }
    opts.onStream(stream);
  };

  const handleData = (frame: Extract<SpdyFrame, { kind: 'data' }>): void => {
    const stream = streams.get(frame.streamId);
    if (!stream) {
      void send(encodeControlFrame(FRAME.RST_STREAM, 0, words(frame.streamId, RST.INVALID_STREAM))).catch(() => undefined);
      return;
    }
    if (frame.data.length > 0 && !stream.remoteFin && !stream.push(frame.data)) transport.pause();
    if (frame.flags & FLAG_FIN && !stream.remoteFin) {
      stream.remoteFin = true;
      stream.push(null);
      if (stream.localFin) streams.delete(stream.id);
    }
  };

  const handleControl = async (frame: Extract<SpdyFrame, { kind: 'control' }>): Promise<void> => {
    switch (frame.type) {
      case FRAME.SYN_STREAM:
        return openStream(frame.payload, frame.flags);
      case FRAME.RST_STREAM:
        streams.get(frame.payload.readUInt32BE(0) & 0x7fffffff)?.resetByPeer();
        return;
      case FRAME.PING:
        // Client pings carry odd ids; the reply is the same frame.
        if (frame.payload.readUInt32BE(0) % 2 === 1) await send(encodeControlFrame(FRAME.PING, 0, frame.payload));
        return;
      case FRAME.GOAWAY:
        goingAway = true;
        return;
      case FRAME.HEADERS:
        await codec.inflate(frame.payload.subarray(4));
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE and unknown types are ignored
    }
  };

  const handle = async (frame: SpdyFrame): Promise<void> => {
    if (frame.kind === 'data') return handleData(frame);
    if (frame.version !== 3) return protocolError(`unsupported version ${frame.version}`);
    if ([FRAME.SYN_STREAM, FRAME.RST_STREAM, FRAME.PING].includes(frame.type as 1 | 3 | 6) && frame.payload.length < (frame.type === FRAME.SYN_STREAM ? 10 : 4)) {
      return protocolError(`a short frame of type ${frame.type}`);
    }
    return handleControl(frame);
  };

  transport.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      chain = chain.then(() => (closed ? undefined : handle(frame))).catch((err: unknown) => protocolError((err as Error).message));
    }
  });
  transport.on('end', () => void chain.then(() => shutdown()));
  transport.on('close', () => void chain.then(() => shutdown()));
  transport.on('error', (err: Error) => shutdown(err));

  return { close: () => shutdown() };
}
