/**
 * The benchmarks' HTTPS client: keep-alive agents per identity and target, and one request that streams
 * the body past (counting bytes, keeping at most its first bytes) so a client never holds a large LIST.
 */
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface ClientIdentity {
  caPem: string;
  certPem?: string;
  keyPem?: string;
  /** Hostname to check the serving certificate for (default: the IP it connects to). */
  servername?: string;
}

export interface Target {
  name: string;
  host: string;
  port: number;
}

export function createClientAgent(id: ClientIdentity, opts: { maxSockets: number; keepAlive?: boolean }): Agent {
  return new Agent({
    keepAlive: opts.keepAlive ?? true,
    maxSockets: opts.maxSockets,
    maxFreeSockets: opts.maxSockets,
    ca: id.caPem,
    ...(id.certPem && id.keyPem ? { cert: id.certPem, key: id.keyPem } : {}),
    ...(id.servername ? { servername: id.servername } : {}),
  });
}

export interface FetchResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Body bytes received. */
  bytes: number;
  /** The first `keepBytes` bytes of the body. */
  head: Buffer;
  /** The last `keepBytes` bytes of the body (a list stitched from pieces writes its metadata last). */
  tail: Buffer;
  firstByteMs: number;
  totalMs: number;
}

export interface FetchOptions {
  target: Target;
  path: string;
  agent: Agent;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Keep this many leading and trailing body bytes (default 4 KiB: enough for a list's metadata). */
  keepBytes?: number;
  signal?: AbortSignal;
  /** Sees every body chunk as it arrives (watch streams). Return false to stop reading and close. */
  onData?: (chunk: Buffer) => boolean | void;
}

/** Rejects with the socket error (its `code`: ECONNRESET, ECONNREFUSED…) when no complete answer arrives. */
export function fetchOnce(opts: FetchOptions): Promise<FetchResult> {
  const keep = opts.keepBytes ?? 4096;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.target.host,
        port: opts.target.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        agent: opts.agent,
        headers: { Accept: 'application/json', ...opts.headers },
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const firstByteMs = performance.now() - started;
        const kept: Buffer[] = [];
        let keptBytes = 0;
        let tail = Buffer.alloc(0);
        let bytes = 0;
        let stopped = false;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keptBytes < keep) {
            kept.push(chunk.subarray(0, keep - keptBytes));
            keptBytes += Math.min(chunk.length, keep - keptBytes);
          }
          if (keep > 0) tail = chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([tail, chunk]).subarray(-keep);
          if (opts.onData && opts.onData(chunk) === false && !stopped) {
            stopped = true;
            res.destroy();
            finish();
          }
        });
        const finish = (): void =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, head: Buffer.concat(kept), tail, firstByteMs, totalMs: performance.now() - started });
        res.once('end', () => {
          if (!stopped) finish();
        });
        res.once('error', (err) => {
          if (!stopped) reject(err);
        });
        res.once('close', () => {
          if (!stopped && !res.complete) reject(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
        });
      },
    );
    req.once('error', reject);
    req.end(opts.body);
  });
}

/**
 * The list's metadata.resourceVersion: kube-apiserver and the simulator write the list's metadata before
 * its items; a list the gateway stitches from a streaming list writes it after them, when it is known.
 * So it is the first `metadata` of the head when that comes before `"items"`, else the last one of the
 * tail, the list's own (never an item's: that would be a resourceVersion from before the list).
 */
export function listResourceVersion(head: Buffer, tail: Buffer = Buffer.alloc(0)): string | undefined {
  const h = head.toString('latin1');
  const first = /"metadata":\{[^{}]*?"resourceVersion":"(\d+)"/.exec(h);
  const items = h.indexOf('"items":');
  if (first && (items === -1 || first.index < items)) return first[1];
  const last = /"metadata":\{([^{}]*)\}\s*\}\s*$/.exec(tail.toString('latin1'));
  return last ? /"resourceVersion":"(\d+)"/.exec(last[1]!)?.[1] : undefined;
}
