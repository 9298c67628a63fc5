/**
 * A streaming scanner for Kubernetes protobuf list responses (application/vnd.kubernetes.protobuf): the
 * 4-byte magic `k8s\0`, then a runtime.Unknown { typeMeta = 1; raw = 2; contentEncoding = 3;
 * contentType = 4 } whose `raw` is the list message { metadata (ListMeta) = 1; items = 2 } (a Table
 * holds its rows in field 3), and ListMeta { selfLink = 1; resourceVersion = 2; continue = 3;
 * remainingItemCount = 4 }. Items are counted from their length prefixes and skipped unread, so the cost
 * is a few operations per item whatever its size. Anything unexpected stops the scan (counts so far kept).
 */
import type { ListScan } from './json-list-scanner.js';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const MAX_CONTINUE = 64 * 1024;

function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) n++;
  return n;
}

type Frame = 'envelope' | 'list' | 'listMeta';
type State = 'magic' | 'tag' | 'length' | 'varint' | 'skip' | 'capture' | 'broken';

export class ProtobufListScanner {
  private pos = 0;
  private state: State = 'magic';
  private frames: { kind: Frame; end: number }[] = [{ kind: 'envelope', end: Number.POSITIVE_INFINITY }];
  private varint = 0;
  private shift = 1;
  private field = 0;
  private remaining = 0;
  private captured: Buffer[] = [];
  private readonly scan: ListScan = { bytes: 0, items: 0, itemBytes: 0 };

  /** `itemField`: 2 for typed and PartialObjectMetadata lists, 3 for a Table's rows. */
  constructor(private readonly itemField = 2) {}

  write(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n && this.state !== 'broken') {
      if (this.state === 'skip' || this.state === 'capture') {
        const take = Math.min(this.remaining, n - i);
        if (this.state === 'capture') this.captured.push(Buffer.from(buf.subarray(i, i + take)));
        i += take;
        this.pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.endValue();
        continue;
      }
      const b = buf[i++]!;
      this.pos++;
      if (this.state === 'magic') {
        if (b !== MAGIC[this.pos - 1]) this.state = 'broken';
        else if (this.pos === MAGIC.length) this.state = 'tag';
        continue;
      }
      this.varint += (b & 0x7f) * this.shift;
      this.shift *= 128;
      if (b & 0x80) {
        if (this.shift > 2 ** 70) this.state = 'broken';
        continue;
      }
      const value = this.varint;
      this.varint = 0;
      this.shift = 1;
      this.onVarint(value);
    }
    this.scan.bytes += n;
  }

  result(): ListScan {
    return { ...this.scan };
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!.kind;
  }

  private onVarint(value: number): void {
    if (this.state === 'tag') {
      this.field = Math.floor(value / 8);
      const wireType = value % 8;
      if (wireType === 0) this.state = 'varint';
      else if (wireType === 2) this.state = 'length';
      else if (wireType === 1 || wireType === 5) this.skip(wireType === 1 ? 8 : 4);
      else this.state = 'broken';
      return;
    }
    if (this.state === 'varint') {
      if (this.frame === 'listMeta' && this.field === 4) this.scan.remainingItemCount = value;
      this.endValue();
      return;
    }
    // A length-delimited field of `value` bytes.
    const frame = this.frame;
    if (frame === 'envelope' && this.field === 2) this.enter('list', value);
    else if (frame === 'list' && this.field === 1) this.enter('listMeta', value);
    else if (frame === 'list' && this.field === this.itemField) {
      this.scan.items++;
      // The item with its framing (a one-byte tag and the length varint), as it grows the response.
      this.scan.itemBytes += value + 1 + varintLength(value);
      this.skip(value);
    } else if (frame === 'listMeta' && this.field === 3 && value <= MAX_CONTINUE) {
      this.captured = [];
      this.remaining = value;
      this.state = value === 0 ? 'tag' : 'capture';
      if (value === 0) this.endValue();
    } else this.skip(value);
  }

  private enter(kind: Frame, length: number): void {
    this.frames.push({ kind, end: this.pos + length });
    this.state = 'tag';
    this.popEnded();
  }

  private skip(length: number): void {
    this.remaining = length;
    this.state = length === 0 ? 'tag' : 'skip';
    if (length === 0) this.endValue();
  }

  private endValue(): void {
    if (this.state === 'capture') this.scan.continue = Buffer.concat(this.captured).toString('utf8');
    this.captured = [];
    this.state = 'tag';
    this.popEnded();
  }

  private popEnded(): void {
    while (this.frames.length > 1 && this.pos >= this.frames[this.frames.length - 1]!.end) this.frames.pop();
  }
}
