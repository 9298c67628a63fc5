/**
 * The floor for any Node.js TLS proxy, as a yardstick next to listgate in the overhead benchmarks: a
 * bare reverse proxy on the same TLS stack, no authentication, classification, estimate, admission,
 * logging or metrics. `http1.1`: HTTPS in, a keep-alive HTTPS agent out, bodies piped both ways.
 * `http2`: HTTP/2 (and HTTP/1.1, by ALPN) in, one HTTP/2 connection out, streams piped both ways.
 * `undici`: HTTPS in, an undici Pool out (HTTP/1.1, keep-alive), the answer streamed into the response.
 * Run as its own process: `node reference-proxy.js PORT UPSTREAM_PORT PKI_DIR [http1.1|http2|undici]`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createSecureServer, type ClientHttp2Session, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { Agent, createServer, request } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchPki, SimulatorProcess } from './bench-stack.js';
import type { Target } from './https-client.js';
import { freePort, tcpOpen, type ProcessGroup, type ServerProcess } from './server-process.js';

export type RelayProtocol = 'http1.1' | 'http2' | 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

export function runReferenceProxy(port: number, upstreamPort: number, pkiDir: string, protocol: RelayProtocol = 'http1.1'): void {
  const read = (name: string): Buffer => readFileSync(join(pkiDir, name));
  const tls = { cert: read('gateway.crt'), key: read('gateway.key'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: false };
  const upstreamTls = { ca: read('ca.crt'), cert: read('admin.crt'), key: read('admin.key') };
  if (protocol === 'http1.1') {
    const agent = new Agent({ keepAlive: true, maxSockets: 256, ...upstreamTls });
    const server = createServer(tls, (req, res) => {
      const upstream = request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.listen(port, '127.0.0.1');
  } else if (protocol === 'undici') {
    void relayWithUndici(port, upstreamPort, tls, upstreamTls);
  } else {
    let session: ClientHttp2Session | undefined;
    const upstreamSession = (): ClientHttp2Session => {
      if (session && !session.closed && !session.destroyed) return session;
      session = connect(`https://127.0.0.1:${upstreamPort}`, { ...upstreamTls, servername: 'kubernetes' });
      session.on('error', () => undefined);
      return session;
    };
    const server = createSecureServer({ ...tls, allowHTTP1: true }, (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => {
      const headers: Record<string, string | string[]> = { ':method': req.method ?? 'GET', ':path': req.url ?? '/' };
      for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(':') && !HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      const stream = upstreamSession().request(headers);
      stream.on('response', (h) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(h)) if (!name.startsWith(':') && value !== undefined) out[name] = value as string | string[];
        (res as ServerResponse).writeHead(Number(h[':status']), out);
        stream.pipe(res as ServerResponse);
      });
      stream.on('error', () => res.destroy());
      (req as IncomingMessage).pipe(stream);
    });
    server.listen(port, '127.0.0.1');
  }
  process.once('SIGTERM', () => process.exit(0));
}

async function relayWithUndici(port: number, upstreamPort: number, tls: object, upstreamTls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<void> {
  const { Pool } = await import('undici');
  const pool = new Pool(`https://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1, connect: { ...upstreamTls, servername: 'kubernetes' } });
  const server = createServer(tls, (req, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    const method = (req.method ?? 'GET') as 'GET';
    pool
      .stream({ path: req.url ?? '/', method, headers, body: method === 'GET' || method === 'HEAD' ? null : req }, ({ statusCode, headers: answer }) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        res.writeHead(statusCode, out);
        return res;
      })
      .catch(() => res.destroy());
  });
  server.listen(port, '127.0.0.1');
}

export async function startReferenceProxy(
  group: ProcessGroup,
  opts: { dir: string; pki: BenchPki; upstream: SimulatorProcess; protocol?: RelayProtocol },
): Promise<{ proc: ServerProcess; target: Target }> {
  const port = await freePort();
  const protocol = opts.protocol ?? 'http1.1';
  const name = { 'http1.1': 'node-proxy', http2: 'node-proxy-h2', undici: 'node-proxy-undici' }[protocol];
  const proc = await group.spawn({
    name,
    command: process.execPath,
    args: [fileURLToPath(import.meta.url), String(port), String(opts.upstream.target.port), opts.pki.dir, protocol],
    dir: opts.dir,
    ready: () => tcpOpen(port),
    timeoutMs: 15_000,
  });
  return { proc, target: { name, host: '127.0.0.1', port } };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [port, upstreamPort, pkiDir, protocol] = process.argv.slice(2);
  runReferenceProxy(Number(port), Number(upstreamPort), pkiDir ?? '.', protocol === 'http2' || protocol === 'undici' ? protocol : 'http1.1');
}
