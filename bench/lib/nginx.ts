/**
 * nginx (the Debian package) as a plain TLS reverse proxy in front of the simulator, the yardstick for
 * the gateway's overhead: HTTP/2 and HTTP/1.1 to clients (ALPN), HTTP/1.1 to the upstream (all nginx proxies with); our own config in a temp dir (pid, logs and temp paths there too), one worker
 * process (the gateway is one Node process), client certificates of the cluster CA verified (as the
 * gateway does), TLS to the upstream with session reuse and a keep-alive pool, `proxy_buffering off`
 * so large bodies stream as they do through the gateway, and an access log like the gateway's request log.
 * It forwards no identity (it presents the admin certificate upstream): a plain proxy does less work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchPki, SimulatorProcess } from './bench-stack.js';
import type { Target } from './https-client.js';
import { childPids } from './proc-stats.js';
import { freePort, tcpOpen, type ProcessGroup, type ServerProcess } from './server-process.js';

export interface NginxProcess {
  proc: ServerProcess;
  target: Target;
  version: string;
  /** Master and workers, for memory and CPU. */
  pids(): number[];
}

export function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

export function renderNginxConfig(opts: { dir: string; port: number; upstreamPort: number; pki: BenchPki }): string {
  const p = opts.pki.path;
  const d = opts.dir;
  return `worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log ${d}/nginx-access.log;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  upstream simulator {
    server 127.0.0.1:${opts.upstreamPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${opts.port} ssl http2;
    ssl_certificate ${p('gateway').cert};
    ssl_certificate_key ${p('gateway').key};
    ssl_client_certificate ${p('ca').cert};
    ssl_verify_client optional;
    keepalive_requests 100000;
    location / {
      proxy_pass https://simulator;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate ${p('admin').cert};
      proxy_ssl_certificate_key ${p('admin').key};
      proxy_ssl_trusted_certificate ${p('ca').cert};
      proxy_ssl_verify on;
      proxy_ssl_name kubernetes;
      proxy_ssl_session_reuse on;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 1h;
    }
  }
}
`;
}

export async function startNginx(group: ProcessGroup, opts: { dir: string; pki: BenchPki; upstream: SimulatorProcess }): Promise<NginxProcess> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const dir = join(opts.dir, 'nginx');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, renderNginxConfig({ dir, port, upstreamPort: opts.upstream.target.port, pki: opts.pki }));
  // nginx -v writes "nginx version: nginx/1.22.1" to stderr.
  const version = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '') || 'nginx';
  const proc = await group.spawn({
    name: 'nginx',
    command: binary,
    args: ['-c', conf, '-p', dir, '-e', join(dir, 'nginx-error.log'), '-g', 'daemon off;'],
    dir,
    ready: () => tcpOpen(port),
    timeoutMs: 15_000,
  });
  return {
    proc,
    target: { name: 'nginx', host: '127.0.0.1', port },
    version,
    pids: () => [proc.pid, ...childPids(proc.pid)],
  };
}
