/**
 * Splits a JSON list response as it streams (a Kubernetes List, or a Table) into its envelope and its
 * elements, without parsing the elements: the bytes before the top-level `items` (or `rows`) array are
 * the `head` (`{"kind":…,"metadata":{…},"items":`), the bytes after its closing bracket the `tail`
 * (`}`), and every element in between is handed on as slices of the chunks it arrived in, exactly as the
 * upstream wrote it. Head and tail are kept (bounded: they are a list's metadata and a Table's column
 * definitions); elements never are. Like the estimator's list scanner (src/estimate/json-list-scanner.ts)
 * it tracks only nesting and strings, skipping string contents with Buffer.indexOf; chunks may split
 * anything. Input that is not such a list is a SplitError.
 */

export interface ElementSink {
  /** A slice of an element; `first` on its first slice. The buffer is the chunk's own memory: write it before the next call returns. */
  element(slice: Buffer, first: boolean): void;
}

export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Head and tail together may not exceed this (a list's metadata, a Table's column definitions). */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ARRAY_KEYS = new Set(['items', 'rows']);

type Phase = 'head' | 'elements' | 'tail';

export class JsonListSplitter {
  private phase: Phase = 'head';
  private depth = 0;
  private inString = false;
  private pendingEscape = false;
  /** Depth-1 string being read as a key, and the last key read at depth 1. */
  private keyParts: Buffer[] | undefined;
  private lastKey: string | undefined;
  private expectKey = false;
  private readonly head: Buffer[] = [];
  private readonly tail: Buffer[] = [];
  private envelopeBytes = 0;
  /** Inside an element (depth > 2 while `elements`). */
  private inElement = false;
  private elementFirst = false;
  private arrayKey: string | undefined;

  constructor(private readonly sink: ElementSink) {}

  /** The bytes before the array's opening bracket, once it has been reached. */
  headText(): string | undefined {
    return this.phase === 'head' ? undefined : Buffer.concat(this.head).toString('utf8');
  }

  /** The array's key (`items` or `rows`), once reached. */
  key(): string | undefined {
    return this.arrayKey;
  }

  /** After `end()`: the whole envelope with an empty array in its place, as JSON text. */
  envelopeText(): string {
    if (this.arrayKey === undefined) return Buffer.concat(this.head).toString('utf8');
    return `${Buffer.concat(this.head).toString('utf8')}[]${Buffer.concat(this.tail).toString('utf8')}`;
  }

  write(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.phase === 'elements') i = this.elements(buf, i);
      else i = this.envelope(buf, i);
    }
  }

  /** Ends the input; throws when the document is not complete. */
  end(): void {
    if (this.depth !== 0 || this.inString || this.phase === 'elements') throw new SplitError('the list ended before it was complete');
  }

  private keep(part: Buffer): void {
    this.envelopeBytes += part.length;
    if (this.envelopeBytes > MAX_ENVELOPE_BYTES) throw new SplitError(`the list's envelope is larger than ${MAX_ENVELOPE_BYTES} bytes`);
    (this.phase === 'head' ? this.head : this.tail).push(Buffer.from(part));
  }

  /** Head or tail: every byte is kept; structure is tracked to find the array (head) or the end. */
  private envelope(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    while (i < n) {
      if (this.inString) {
        const end = this.stringEnd(buf, i);
        if (this.keyParts) this.keyParts.push(Buffer.from(buf.subarray(i, end === -1 ? n : end)));
        if (end === -1) {
          this.keep(buf.subarray(from, n));
          return n;
        }
        this.inString = false;
        if (this.keyParts) {
          this.lastKey = Buffer.concat(this.keyParts).toString('utf8');
          this.keyParts = undefined;
        }
        i = end + 1;
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) {
        this.inString = true;
        this.pendingEscape = false;
        this.keyParts = this.depth === 1 && this.expectKey ? [] : undefined;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.phase === 'head' && this.depth === 1 && c === 0x5b && this.lastKey !== undefined && ARRAY_KEYS.has(this.lastKey)) {
          this.keep(buf.subarray(from, i));
          this.arrayKey = this.lastKey;
          this.phase = 'elements';
          this.depth = 2;
          return i + 1;
        }
        if (this.depth === 0 && c !== 0x7b) throw new SplitError('the response is not a JSON object');
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
      } else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth < 0) throw new SplitError('unbalanced JSON');
      } else if (this.depth === 1) {
        if (c === 0x3a) this.expectKey = false;
        else if (c === 0x2c) this.expectKey = true;
      }
      i++;
    }
    this.keep(buf.subarray(from, n));
    return n;
  }

  /** The array: separators skipped, each element's bytes handed on. */
  private elements(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    let start = this.inElement ? from : -1;
    const flush = (to: number) => {
      if (start >= 0 && to > start) {
        this.sink.element(buf.subarray(start, to), this.elementFirst);
        this.elementFirst = false;
      }
    };
    while (i < n) {
      if (this.inString) {
        const end = this.stringEnd(buf, i);
        if (end === -1) {
          i = n;
          break;
        }
        this.inString = false;
        i = end + 1;
        continue;
      }
      const c = buf[i]!;
      if (!this.inElement) {
        if (c === 0x5d) {
          this.phase = 'tail';
          this.depth = 1;
          return i + 1;
        }
        if (c === 0x7b || c === 0x5b) {
          this.inElement = true;
          this.elementFirst = true;
          start = i;
          this.depth = 3;
        } else if (c !== 0x2c && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          throw new SplitError('an element of the list is not a JSON object');
        }
        i++;
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.pendingEscape = false;
      } else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 2) {
          flush(i + 1);
          this.inElement = false;
          start = -1;
        }
      }
      i++;
    }
    flush(n);
    return n;
  }

  /** The index of the closing quote of the string being read from `from`, or -1 when the chunk ends first. */
  private stringEnd(buf: Buffer, from: number): number {
    let i = from;
    if (this.pendingEscape) {
      this.pendingEscape = false;
      if (i >= buf.length) return -1;
      i++;
    }
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      const stop = q === -1 ? buf.length : q;
      let k = stop - 1;
      while (k >= i && buf[k] === BACKSLASH) k--;
      const odd = (stop - 1 - k) % 2 === 1;
      if (q === -1) {
        this.pendingEscape = odd;
        return -1;
      }
      if (!odd) return q;
      i = q + 1;
    }
  }
}
