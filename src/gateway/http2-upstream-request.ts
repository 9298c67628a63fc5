/**
 * An HTTP/2 stream to the upstream as an UpstreamRequest (upstream-request.ts), so the proxy, the probes
 * and the census use it as they use Node's ClientRequest. The stream is opened when the request is
 * ended (a request without a body goes out as one HEADERS frame with END_STREAM) or its first body
 * chunk is written, on whatever connection its lane gives it, possibly after a wait for a free slot.
 * The response is the stream itself, with `statusCode`, `headers` and `rawHeaders` set on it.
 * A stream the server refused unprocessed (REFUSED_STREAM, or past the last stream a GOAWAY accepts)
 * is opened again, up to twice, when no body had gone out: RFC 9113 §8.7 says such a request is safe
 * to retry. Every other failure before the response is this request's `error`; after it, the
 * response's. `close` is emitted once, when the stream has closed (or the request was refused a slot).
 */
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { Writable } from 'node:stream';
import type { UpstreamResponse } from './upstream-request.js';

/** Opens the request's stream now or later (req.attach), or fails it (req.destroy). */
export type BeginStream = (req: Http2UpstreamRequest, endStream: boolean) => void;

const MAX_RETRIES = 2;

/** Whether the server refused the stream without processing it (safe to send again). */
function wasRefused(stream: ClientHttp2Stream, err: Error | undefined): boolean {
  if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return true;
  return (err as { code?: string } | undefined)?.code === 'ERR_HTTP2_GOAWAY_SESSION';
}

/** The h2 response headers as Node's rawHeaders, pseudo-headers left out. */
function rawHeadersOf(headers: IncomingHttpHeaders, raw: readonly string[] | undefined): string[] {
  const out: string[] = [];
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) out.push(raw[i]!, raw[i + 1]!);
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name, String(v));
  }
  return out;
}

export class Http2UpstreamRequest extends Writable {
  private stream: ClientHttp2Stream | undefined;
  private begun = false;
  private endStream = false;
  private bodySent = false;
  private answered = false;
  private closeEmitted = false;
  private retries = 0;
  private pendingWrite: { chunk: Buffer; callback: (err?: Error | null) => void } | undefined;
  private pendingFinal: ((err?: Error | null) => void) | undefined;

  constructor(
    readonly requestHeaders: OutgoingHttpHeaders,
    private readonly begin: BeginStream,
  ) {
    super({ autoDestroy: false, emitClose: false });
  }

  /** Whether it has a stream (false while it waits for a slot). */
  get attached(): boolean {
    return this.stream !== undefined;
  }

  /** Gives the request its stream (called by the lane). */
  attach(stream: ClientHttp2Stream): void {
    this.stream = stream;
    stream.once('response', (headers: IncomingHttpHeaders, _flags: number, raw?: string[]) => {
      this.answered = true;
      const response: UpstreamResponse = Object.assign(stream, {
        statusCode: Number(headers[':status']),
        statusMessage: '',
        headers,
        rawHeaders: rawHeadersOf(headers, raw),
      });
      // Node ends a stream's readable side also when it was reset or its connection lost: only a stream
      // closed without an error code (END_STREAM) is a whole response.
      Object.defineProperty(response, 'complete', { get: () => !stream.rstCode });
      this.emit('response', response);
    });
    // Always listened to: after the response, an error is also the response's (its reader sees it there).
    stream.on('error', (err: Error) => {
      if (this.answered || this.stream !== stream) return;
      if (wasRefused(stream, err) && !this.bodySent && this.retries < MAX_RETRIES) return this.retry(stream);
      this.fail(err);
    });
    stream.once('close', () => {
      if (this.stream !== stream) return;
      if (!this.answered && !this.destroyed) {
        if (wasRefused(stream, undefined) && !this.bodySent && this.retries < MAX_RETRIES) return this.retry(stream);
        this.fail(Object.assign(new Error(`the upstream closed the HTTP/2 stream before answering (code ${stream.rstCode ?? 0})`), { code: 'ECONNRESET' }));
      }
      this.emitCloseOnce();
    });
    if (this.pendingWrite) {
      const { chunk, callback } = this.pendingWrite;
      this.pendingWrite = undefined;
      this.bodySent = true;
      stream.write(chunk, callback);
    }
    if (this.pendingFinal) {
      const callback = this.pendingFinal;
      this.pendingFinal = undefined;
      if (!this.endStream) stream.end();
      callback();
    }
  }

  private retry(stream: ClientHttp2Stream): void {
    this.retries += 1;
    this.stream = undefined;
    if (!stream.destroyed) stream.destroy();
    this.pendingFinal ??= this.writableFinished || this.endStream ? () => {} : undefined;
    this.begin(this, this.endStream);
  }

  private fail(err: Error): void {
    // A stream cancelled because its connection failed carries that failure (refused, TLS, timeout) as its cause.
    const reported = (err as { code?: string }).code === 'ERR_HTTP2_STREAM_CANCEL' && err.cause instanceof Error ? err.cause : err;
    if (!this.destroyed) this.destroy(reported);
  }

  private emitCloseOnce(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.stream) {
      this.bodySent = true;
      this.stream.write(chunk, callback);
      return;
    }
    this.pendingWrite = { chunk, callback };
    if (!this.begun) {
      this.begun = true;
      this.begin(this, false);
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.stream) {
      this.stream.end();
      callback();
      return;
    }
    this.pendingFinal = callback;
    if (!this.begun) {
      this.begun = true;
      this.endStream = true;
      this.begin(this, true);
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const stream = this.stream;
    if (stream && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
    callback(err);
    // Without a stream (refused a slot, or never begun) nothing else will close it.
    if (!stream || stream.closed) process.nextTick(() => this.emitCloseOnce());
  }
}
