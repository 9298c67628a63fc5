/**
 * The benchmarks' HTTP/2 client, as client-go talks to an apiserver: one TLS connection (or a few)
 * offering only `h2`, every request a stream on it; a request reads its body past (counting bytes) and
 * resolves with the status. `sessions` spreads streams round-robin over that many connections (a watch
 * storm needs more than the server's stream limit per connection).
 */
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import type { ClientIdentity, Target } from './https-client.js';

export interface H2Answer {
  status: number;
  bytes: number;
}

export interface H2Client {
  /** One GET; resolves when the body has been read whole. */
  get(path: string): Promise<H2Answer>;
  /**
   * A GET whose response is held open (a watch): resolves with the status once the headers are in;
   * `onData` sees every chunk.
   */
  open(path: string, onData?: (chunk: Buffer) => void): Promise<{ status: number; close(): void }>;
  close(): void;
}

export function createH2Client(target: Target, id: ClientIdentity, opts: { sessions?: number } = {}): H2Client {
  const sessions: ClientHttp2Session[] = [];
  let next = 0;
  const session = (): ClientHttp2Session => {
    const count = opts.sessions ?? 1;
    const at = next++ % count;
    const existing = sessions[at];
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const s = connect(`https://${target.host}:${target.port}`, {
      ca: id.caPem,
      ...(id.certPem && id.keyPem ? { cert: id.certPem, key: id.keyPem } : {}),
      ...(id.servername ? { servername: id.servername } : {}),
      settings: { enablePush: false, initialWindowSize: 1024 * 1024 },
      maxSessionMemory: 64,
    });
    s.on('error', () => undefined);
    s.once('connect', () => s.setLocalWindowSize(64 * 1024 * 1024));
    sessions[at] = s;
    return s;
  };
  const headers = (path: string) => ({ [constants.HTTP2_HEADER_PATH]: path, accept: 'application/json' });
  return {
    get(path) {
      return new Promise((resolve, reject) => {
        const stream = session().request(headers(path), { endStream: true });
        let status = 0;
        let bytes = 0;
        stream.once('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: Buffer) => (bytes += c.length));
        stream.once('end', () => resolve({ status, bytes }));
        stream.once('error', reject);
      });
    },
    open(path, onData) {
      return new Promise((resolve, reject) => {
        const stream = session().request(headers(path), { endStream: true });
        stream.once('response', (h) => resolve({ status: Number(h[':status']), close: () => stream.close(constants.NGHTTP2_CANCEL) }));
        stream.on('data', (c: Buffer) => onData?.(c));
        stream.once('error', reject);
      });
    },
    close() {
      for (const s of sessions) s?.destroy();
    },
  };
}
