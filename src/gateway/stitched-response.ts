/**
 * The one response an offloaded LIST's client gets, written as its pieces arrive: the list's opening
 * (`{"kind":…,"metadata":{…},"items":[`), its elements separated by commas, and its closing. Until more
 * than HOLD_BYTES of it exist (or it is complete), nothing is sent — not even the status line — so a
 * failure early in the list (a continue token expired at the second page of a list of small objects) can
 * still be restarted or answered with a proper Status; past that the gateway keeps no more than the
 * socket's own buffers: `write` says when to wait for `drained`. A response that cannot be completed is
 * broken off (`abandon`): the client sees a truncated body, never a clean end of a short list.
 */
import type { ServerResponse } from 'node:http';

/** What the gateway holds back before it sends anything. */
export const HOLD_BYTES = 1024 * 1024;

export interface StitchedResponse {
  /** Whether anything (the status line included) has gone to the client: past it a failure breaks the body. */
  readonly sent: boolean;
  /** Whether the list's opening has been written (held or sent). */
  readonly opened: boolean;
  readonly bytes: number;
  /** Writes the status line's headers (sent with the first bytes) and the opening, up to and including `[`. */
  open(headers: readonly string[], prefix: string): void;
  /** One slice of an element; `first` on its first slice. False when the caller should wait for `drained`. */
  element(slice: Buffer, first: boolean): boolean;
  /** Resolves when the client has taken what was written (at once when nothing waits). */
  drained(): Promise<void>;
  /** Writes `]` and the closing, and ends the response. */
  close(suffix: string): void;
  /** Forgets what is held (nothing was sent): the list starts over. */
  discard(): void;
  /** Destroys the response (a truncated body when something was sent). */
  abandon(): void;
}

const COMMA = Buffer.from(',');

/** `onBytes` and `onChunk` see what is sent to the client (held bytes once they are). */
export function createStitchedResponse(res: ServerResponse, opts: { onBytes?: (n: number) => void; onChunk?: (chunk: Buffer) => void; holdBytes?: number } = {}): StitchedResponse {
  const holdBytes = opts.holdBytes ?? HOLD_BYTES;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let headers: readonly string[] | undefined;
  let sent = false;
  let opened = false;
  let elements = 0;
  let bytes = 0;
  let waiting = false;

  const send = (chunk: Buffer): boolean => {
    bytes += chunk.length;
    opts.onBytes?.(chunk.length);
    opts.onChunk?.(chunk);
    return res.write(chunk);
  };
  const flush = (): boolean => {
    sent = true;
    res.writeHead(200, [...(headers ?? [])]);
    let ok = true;
    for (const chunk of held) ok = send(chunk);
    held = [];
    heldBytes = 0;
    return ok;
  };
  const write = (chunk: Buffer): boolean => {
    if (sent) return send(chunk);
    // Held chunks are the upstream's own buffers: copied, since they are reused once handed on.
    held.push(Buffer.from(chunk));
    heldBytes += chunk.length;
    return heldBytes > holdBytes ? flush() : true;
  };

  return {
    get sent() {
      return sent;
    },
    get opened() {
      return opened;
    },
    get bytes() {
      return bytes + heldBytes;
    },
    open(h, prefix) {
      headers = h;
      opened = true;
      write(Buffer.from(`${prefix}[`, 'utf8'));
    },
    element(slice, first) {
      let ok = true;
      if (first && elements++ > 0) ok = write(COMMA);
      const more = write(slice);
      waiting = !(ok && more);
      return !waiting;
    },
    drained() {
      if (!waiting || !sent || res.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          waiting = false;
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    },
    close(suffix) {
      write(Buffer.from(`]${suffix}`, 'utf8'));
      if (!sent) flush();
      res.end();
    },
    discard() {
      held = [];
      heldBytes = 0;
      opened = false;
      elements = 0;
      headers = undefined;
    },
    abandon() {
      res.destroy();
    },
  };
}
