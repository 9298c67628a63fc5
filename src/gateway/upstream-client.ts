/**
 * The gateway's connection to the upstream apiserver: TLS with the configured CA and the gateway's
 * client certificate, a keep-alive pool (an upgraded socket leaves the pool), and a connect timeout
 * covering TCP connect plus TLS handshake. There is deliberately no other timeout:
 * watches and large LIST responses last as long as they last.
 */
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { UpstreamConfig } from '../config/parse-config.js';
import type { TlsFiles } from '../config/read-tls-files.js';
import type { RawHeaders } from './raw-headers.js';
import { UpstreamConnectTimeoutError } from './upstream-failure.js';

export interface UpstreamRequestOptions {
  method: string;
  /** Request target: path and query as the client sent them. */
  path: string;
  headers: RawHeaders;
  /** The Kubernetes verb, when the caller has classified the request already (for metrics). */
  verb?: string;
}

export interface UpstreamClient {
  readonly server: string;
  readonly connectTimeoutMs: number;
  /** The `host[:port]` to send as Host. */
  readonly hostHeader: string;
  /** The gateway's bearer token for the upstream, when it authenticates with one. */
  readonly token: string | undefined;
  request(opts: UpstreamRequestOptions): ClientRequest;
  close(): void;
}

export function createUpstreamClient(deps: { upstream: UpstreamConfig; files: TlsFiles['upstream'] }): UpstreamClient {
  const { upstream, files } = deps;
  const tls: ConnectionOptions = {
    // One secure context rather than the PEMs themselves: the agent names its pools by the options it
    // is given, PEMs included, and would build and hash that name (kilobytes) on every request.
    secureContext: createSecureContext({
      ...(files.ca === undefined ? {} : { ca: files.ca }),
      ...(files.cert === undefined ? {} : { cert: files.cert, key: files.key }),
    }),
    // SNI carries host names only (RFC 6066); an IP is verified against the certificate's IP SANs.
    ...(isIP(upstream.host) === 0 ? { servername: upstream.host } : {}),
  };
  const agent = new Agent({ ...tls, keepAlive: true, maxSockets: upstream.maxSockets, scheduling: 'lifo' });
  const timeoutMs = upstream.connectTimeoutMs;
  const defaultPort = upstream.port === 443;
  const hostName = isIP(upstream.host) === 6 ? `[${upstream.host}]` : upstream.host;

  return {
    server: upstream.server,
    connectTimeoutMs: timeoutMs,
    hostHeader: defaultPort ? hostName : `${hostName}:${upstream.port}`,
    token: files.token,
    request(opts) {
      const req = request({
        agent,
        host: upstream.host,
        port: upstream.port,
        method: opts.method,
        path: opts.path,
        headers: [...opts.headers],
        setHost: false,
      });
      // A pooled socket is connected already; a new one must finish TCP + TLS within the timeout.
      req.on('socket', (socket) => {
        if (req.reusedSocket) return;
        const timer = setTimeout(() => req.destroy(new UpstreamConnectTimeoutError(timeoutMs)), timeoutMs);
        const clear = () => clearTimeout(timer);
        socket.once('secureConnect', clear);
        socket.once('close', clear);
      });
      return req;
    },
    close() {
      agent.destroy();
    },
  };
}
