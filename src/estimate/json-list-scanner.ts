/**
 * A streaming scanner for JSON list responses: it counts the elements of the top-level `items` (or a
 * Table's `rows`) and their bytes, and reads `metadata.remainingItemCount` and `metadata.continue`,
 * without buffering or parsing the body. It tracks only nesting depth and strings; inside an item it
 * looks at no byte but quotes, brackets and braces, and skips string contents with Buffer.indexOf.
 * Chunks may split anything (strings, escapes, numbers). Malformed input yields counts, never a throw.
 */

export interface ListScan {
  /** Bytes scanned (decoded bytes of the body). */
  bytes: number;
  items: number;
  /** Bytes of the items alone, from each opening brace to its closing one. */
  itemBytes: number;
  remainingItemCount?: number;
  continue?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_CAPTURE = 64 * 1024;
// 1: quote, 2: opening bracket or brace, 3: closing one.
const STRUCTURAL = new Uint8Array(256);
STRUCTURAL[QUOTE] = 1;
STRUCTURAL[0x7b] = STRUCTURAL[0x5b] = 2;
STRUCTURAL[0x7d] = STRUCTURAL[0x5d] = 3;

type Level2 = 'items' | 'metadata' | 'other';

export class JsonListScanner {
  private bytes = 0;
  private depth = 0;
  private inString = false;
  private pendingEscape = false;
  private capture: Buffer[] | undefined;
  private captureLength = 0;
  private expectKey1 = false;
  private key1: string | undefined;
  private level2: Level2 = 'other';
  private expectKey2 = false;
  private key2: string | undefined;
  private scalar = '';
  private itemStart = 0;
  private readonly scan: ListScan = { bytes: 0, items: 0, itemBytes: 0 };

  write(buf: Buffer): void {
    const n = buf.length;
    const base = this.bytes;
    let i = this.inString ? this.stringTail(buf, 0) : 0;
    while (i < n) {
      if (this.depth >= 3) {
        i = this.skipDeep(buf, i, base);
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) {
        const metadata = this.depth === 2 && this.level2 === 'metadata';
        this.startString((this.depth === 1 && this.expectKey1) || (metadata && (this.expectKey2 || this.key2 === 'continue')));
        i = this.stringTail(buf, i + 1);
        continue;
      }
      if (STRUCTURAL[c] === 2) this.open(c, base + i);
      else if (STRUCTURAL[c] === 3) this.close();
      else if (c === 0x3a) {
        if (this.depth === 1) this.expectKey1 = false;
        else if (this.depth === 2) this.expectKey2 = false;
      } else if (c === 0x2c) {
        if (this.depth === 1) this.expectKey1 = true;
        else if (this.depth === 2 && this.level2 === 'metadata') {
          this.endScalar();
          this.expectKey2 = true;
        }
      } else if (this.depth === 2 && this.level2 === 'metadata' && !this.expectKey2 && c > 0x20) {
        if (this.scalar.length < 32) this.scalar += String.fromCharCode(c);
      }
      i++;
    }
    this.bytes += n;
  }

  result(): ListScan {
    return { ...this.scan, bytes: this.bytes };
  }

  private open(c: number, offset: number): void {
    if (this.depth === 0) this.expectKey1 = c === 0x7b;
    else if (this.depth === 1) {
      const k = this.key1;
      this.level2 = c === 0x5b && (k === 'items' || k === 'rows') ? 'items' : c === 0x7b && k === 'metadata' ? 'metadata' : 'other';
      this.expectKey2 = this.level2 === 'metadata';
      this.key2 = undefined;
      this.scalar = '';
    } else if (this.level2 === 'items') {
      this.scan.items++;
      this.itemStart = offset;
    }
    this.depth++;
  }

  private close(): void {
    if (this.depth === 2 && this.level2 === 'metadata') this.endScalar();
    if (this.depth > 0) this.depth--;
    if (this.depth === 1) this.level2 = 'other';
  }

  private endScalar(): void {
    if (this.key2 === 'remainingItemCount' && /^\d+$/.test(this.scalar)) this.scan.remainingItemCount = Number(this.scalar);
    this.scalar = '';
  }

  /** Inside an item (depth ≥ 3): only quotes, brackets and braces matter. */
  private skipDeep(buf: Buffer, from: number, base: number): number {
    const n = buf.length;
    let depth = this.depth;
    for (let i = from; i < n; i++) {
      const kind = STRUCTURAL[buf[i]!]!;
      if (kind === 0) continue;
      if (kind === 1) {
        // Short strings inline (most keys and values); long or split ones through stringTail's indexOf.
        let j = i + 1;
        const limit = Math.min(n, j + 64);
        for (; j < limit; j++) {
          const b = buf[j];
          if (b === QUOTE) break;
          if (b === BACKSLASH) j++;
        }
        if (j < limit && buf[j] === QUOTE) {
          i = j;
          continue;
        }
        this.depth = depth;
        this.startString(false);
        return this.stringTail(buf, i + 1);
      }
      if (kind === 2) depth++;
      else if (--depth === 2) {
        this.depth = 2;
        if (this.level2 === 'items') this.scan.itemBytes += base + i + 1 - this.itemStart;
        return i + 1;
      }
    }
    this.depth = depth;
    return n;
  }

  private startString(capture: boolean): void {
    this.inString = true;
    this.pendingEscape = false;
    this.capture = capture ? [] : undefined;
    this.captureLength = 0;
  }

  /** Continues a string at `from`; returns the index after its closing quote, or the chunk's end. */
  private stringTail(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    if (this.pendingEscape && i < n) {
      this.pendingEscape = false;
      i++;
    }
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      let k = (q === -1 ? n : q) - 1;
      while (k >= i && buf[k] === BACKSLASH) k--;
      const odd = ((q === -1 ? n : q) - 1 - k) % 2 === 1;
      if (q === -1) {
        this.pendingEscape = odd;
        this.keep(buf, from, n);
        return n;
      }
      if (odd) {
        i = q + 1;
        continue;
      }
      this.keep(buf, from, q);
      this.endString();
      return q + 1;
    }
  }

  private keep(buf: Buffer, from: number, to: number): void {
    if (!this.capture || to <= from) return;
    this.captureLength += to - from;
    if (this.captureLength > MAX_CAPTURE) this.capture = undefined;
    else this.capture.push(Buffer.from(buf.subarray(from, to)));
  }

  private endString(): void {
    this.inString = false;
    if (!this.capture) return;
    let text: string | undefined;
    try {
      text = JSON.parse(`"${Buffer.concat(this.capture).toString('utf8')}"`) as string;
    } catch {
      text = undefined;
    }
    this.capture = undefined;
    if (this.depth === 1 && this.expectKey1) this.key1 = text;
    else if (this.depth === 2 && this.expectKey2) this.key2 = text;
    else if (this.depth === 2 && this.key2 === 'continue' && text !== undefined) this.scan.continue = text;
  }
}
