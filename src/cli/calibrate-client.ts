/**
 * `listgate calibrate`'s connection to the apiserver, from a kubeconfig (@kubernetes/client-node reads
 * it: certificates, token, CA, TLS server name): plain GETs for /version and /metrics, and LISTs that
 * are *held*: the request resolves once the response headers are in — the apiserver has built the whole
 * response by then (before 1.33's streaming encoders) — and the body stays unread until `drain()`, so
 * the server keeps what it holds for the response while its memory is sampled.
 */
import { request, type Agent, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface HeldList {
  status: number;
  /** Reads the rest of the body; resolves with its bytes. */
  drain(): Promise<number>;
  /** Drops the response (the server frees what it holds). */
  abort(): void;
}

export interface KubeTarget {
  /** The apiserver's URL, as the kubeconfig names it. */
  readonly server: string;
  get(path: string, accept?: string): Promise<{ status: number; text: string }>;
  /** GET that keeps the first `maxBytes` of the body and drops the connection there. */
  head(path: string, maxBytes: number): Promise<{ status: number; text: string }>;
  hold(path: string, timeoutMs?: number): Promise<HeldList>;
  close(): void;
}

export async function connectKubeconfig(file: string): Promise<KubeTarget> {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${file}: no current cluster`);
  const base: RequestOptions = {};
  await kc.applyToHTTPSOptions(base);
  const url = new URL(cluster.server);
  const agent = base.agent as Agent | undefined;
  const options = (path: string, accept: string): RequestOptions => ({
    ...base,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || 443,
    method: 'GET',
    path,
    headers: { ...(base.headers ?? {}), Accept: accept, 'User-Agent': 'listgate-calibrate' },
  });

  return {
    server: cluster.server,
    get(path, accept = 'application/json') {
      return new Promise((resolve, reject) => {
        const req = request(options(path, accept), (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(60_000, () => req.destroy(new Error(`GET ${path}: no answer within 60 s`)));
        req.on('error', reject);
        req.end();
      });
    },
    head(path, maxBytes) {
      return new Promise((resolve, reject) => {
        const req = request(options(path, 'application/json'), (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          const done = () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') });
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            kept += c.length;
            if (kept >= maxBytes) {
              done();
              req.destroy();
            }
          });
          res.on('end', done);
          res.on('error', reject);
        });
        req.setTimeout(300_000, () => req.destroy(new Error(`GET ${path}: no answer within 300 s`)));
        req.on('error', reject);
        req.end();
      });
    },
    hold(path, timeoutMs = 300_000) {
      return new Promise((resolve, reject) => {
        const req = request(options(path, 'application/json'), (res) => {
          clearTimeout(timer);
          res.pause();
          resolve({
            status: res.statusCode ?? 0,
            drain: () =>
              new Promise((done, fail) => {
                let bytes = 0;
                res.on('data', (c: Buffer) => (bytes += c.length));
                res.on('end', () => done(bytes));
                res.on('error', fail);
                res.resume();
              }),
            abort: () => req.destroy(),
          });
        });
        const timer = setTimeout(() => req.destroy(new Error(`GET ${path}: no response headers within ${timeoutMs} ms`)), timeoutMs);
        req.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        req.end();
      });
    },
    close() {
      agent?.destroy();
    },
  };
}
