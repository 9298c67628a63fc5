/**
 * Ends a watch response cleanly on shutdown. The gateway relays watch streams byte for byte, so to end
 * one without cutting an event in half this pass-through keeps track of where events end:
 * - JSON (and Table) watches: one JSON object per line, so an event ends at a newline;
 * - protobuf watches (`application/vnd.kubernetes.protobuf;stream=watch`): frames with a 4-byte
 *   big-endian length prefix.
 * Once `stop()` is called it lets the current event through and then ends its output; the proxy then
 * finishes the chunked response (`0\r\n\r\n`), which client-go reads as the watch ending and re-watches,
 * instead of a connection reset. With an unknown framing it ends at once.
 */
import { Transform, type TransformCallback } from 'node:stream';

type Framing = 'lines' | 'length-prefixed' | 'unknown';

function framingOf(contentType: string | undefined, contentEncoding: string | undefined): Framing {
  if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') return 'unknown';
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('protobuf')) return 'length-prefixed';
  if (type.startsWith('application/json') || type.includes('+json')) return 'lines';
  return 'unknown';
}

export class WatchEnd extends Transform {
  private readonly framing: Framing;
  private stopping = false;
  private ended = false;
  /** lines: whether the last byte passed was a newline (or nothing passed yet). */
  private atLineEnd = true;
  /** length-prefixed: bytes of the current frame's header seen, its length, and body bytes left. */
  private headerSeen = 0;
  private header = Buffer.alloc(4);
  private bodyLeft = 0;

  constructor(headers: { 'content-type'?: string | undefined; 'content-encoding'?: string | undefined }) {
    super();
    this.framing = framingOf(headers['content-type'], headers['content-encoding']);
  }

  /** True once asked to stop: the end that follows is deliberate, not an upstream failure. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Ends the output after the event in progress (at once when between events). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.atBoundary()) this.finish();
  }

  /**
   * The upstream is gone: ends the output now if no event is cut in half there (true), else leaves it
   * (false: the caller fails the response, as a half event cannot be completed).
   */
  endAtBoundary(): boolean {
    if (this.ended) return true;
    if (this.framing === 'unknown' || !this.atBoundary()) return false;
    this.stopping = true;
    this.finish();
    return true;
  }

  private atBoundary(): boolean {
    if (this.framing === 'lines') return this.atLineEnd;
    if (this.framing === 'length-prefixed') return this.headerSeen === 0 && this.bodyLeft === 0;
    return true;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  /** How many bytes of `chunk` complete the event in progress, advancing the frame state over them. */
  private consume(chunk: Buffer, untilBoundary: boolean): number {
    if (this.framing === 'lines') {
      if (untilBoundary) {
        const nl = chunk.indexOf(0x0a);
        if (nl >= 0) {
          this.atLineEnd = true;
          return nl + 1;
        }
      }
      if (chunk.length > 0) this.atLineEnd = chunk[chunk.length - 1] === 0x0a;
      return chunk.length;
    }
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft === 0 && this.headerSeen < 4) {
        this.header[this.headerSeen++] = chunk[i++]!;
        if (this.headerSeen === 4) this.bodyLeft = this.header.readUInt32BE(0);
      } else {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= take;
        i += take;
      }
      if (this.bodyLeft === 0 && this.headerSeen === 4) {
        this.headerSeen = 0;
        if (untilBoundary) return i;
      }
    }
    return chunk.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.ended) return callback();
    if (!this.stopping || this.framing === 'unknown') {
      if (this.framing !== 'unknown') this.consume(chunk, false);
      return callback(null, chunk);
    }
    const upTo = this.consume(chunk, true);
    this.push(chunk.subarray(0, upTo));
    if (this.atBoundary()) this.finish();
    callback();
  }
}

/**
 * For a watch (or streaming list) response, a WatchEnd that stops when `signal` aborts (at once when it
 * already has); undefined for any other request or without a signal.
 */
export function watchEndFor(
  kind: string,
  headers: { 'content-type'?: string | undefined; 'content-encoding'?: string | undefined },
  signal: AbortSignal | undefined,
): WatchEnd | undefined {
  if (!signal || (kind !== 'watch' && kind !== 'streamingList')) return undefined;
  const end = new WatchEnd(headers);
  const stop = () => end.stop();
  if (signal.aborted) {
    stop();
  } else {
    signal.addEventListener('abort', stop, { once: true });
    end.once('close', () => signal.removeEventListener('abort', stop));
  }
  return end;
}
