/**
 * A request that waits before it exists — for a slot in its lane (upstream-http1.ts), or for the
 * upstream's protocol to be known (upstream-client.ts): an UpstreamRequest (upstream-request.ts) whose
 * body writes and end are held until it is given the real request (`attach`), then passed on. The real request's `response`, `upgrade`, `error` and `close` become this
 * one's. Destroyed while it waits (the client left, or the wait ran out), it leaves the lane's queue
 * through `onAbandon`, emits its error if it has one, and `close`, once.
 */
import { Writable } from 'node:stream';
import type { UpstreamRequest } from './upstream-request.js';

export class WaitingRequest extends Writable {
  private inner: UpstreamRequest | undefined;
  private pendingWrite: { chunk: Buffer; callback: (err?: Error | null) => void } | undefined;
  private pendingFinal: ((err?: Error | null) => void) | undefined;
  private closeEmitted = false;

  constructor(private readonly onAbandon: (req: WaitingRequest) => void) {
    super({ autoDestroy: false, emitClose: false });
  }

  /** Gives it the real request, made now that it may be. */
  attach(inner: UpstreamRequest): void {
    this.inner = inner;
    inner.on('response', (res) => this.emit('response', res));
    inner.on('upgrade', (res, socket, head) => this.emit('upgrade', res, socket, head));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.once('close', () => this.emitCloseOnce());
    if (this.pendingWrite) {
      const { chunk, callback } = this.pendingWrite;
      this.pendingWrite = undefined;
      inner.write(chunk, callback);
    }
    if (this.pendingFinal) {
      const callback = this.pendingFinal;
      this.pendingFinal = undefined;
      inner.end();
      callback();
    }
  }

  private emitCloseOnce(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.inner) this.inner.write(chunk, callback);
    else this.pendingWrite = { chunk, callback };
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.inner) return void (this.pendingFinal = callback);
    this.inner.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const inner = this.inner;
    if (inner) {
      if (!inner.destroyed) inner.destroy();
      callback(err);
      return;
    }
    this.onAbandon(this);
    callback(err);
    process.nextTick(() => this.emitCloseOnce());
  }
}
