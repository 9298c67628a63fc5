/**
 * The floor for any Node.js TLS proxy, as a yardstick next to listgate in the overhead benchmark: a
 * 20-line reverse proxy on the same TLS stack (HTTPS in, a keep-alive HTTPS agent out, bodies piped
 * both ways), no authentication, classification, estimate, admission, logging or metrics. Run as its
 * own process: `node reference-proxy.js PORT UPSTREAM_PORT PKI_DIR`.
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchPki, SimulatorProcess } from './bench-stack.js';
import type { Target } from './https-client.js';
import { freePort, tcpOpen, type ProcessGroup, type ServerProcess } from './server-process.js';

export function runReferenceProxy(port: number, upstreamPort: number, pkiDir: string): void {
  const read = (name: string): Buffer => readFileSync(join(pkiDir, name));
  const agent = new Agent({ keepAlive: true, maxSockets: 256, ca: read('ca.crt'), cert: read('admin.crt'), key: read('admin.key') });
  const server = createServer({ cert: read('gateway.crt'), key: read('gateway.key'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const upstream = request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

export async function startReferenceProxy(group: ProcessGroup, opts: { dir: string; pki: BenchPki; upstream: SimulatorProcess }): Promise<{ proc: ServerProcess; target: Target }> {
  const port = await freePort();
  const proc = await group.spawn({
    name: 'node-proxy',
    command: process.execPath,
    args: [fileURLToPath(import.meta.url), String(port), String(opts.upstream.target.port), opts.pki.dir],
    dir: opts.dir,
    ready: () => tcpOpen(port),
    timeoutMs: 15_000,
  });
  return { proc, target: { name: 'node-proxy', host: '127.0.0.1', port } };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [port, upstreamPort, pkiDir] = process.argv.slice(2);
  runReferenceProxy(Number(port), Number(upstreamPort), pkiDir ?? '.');
}
