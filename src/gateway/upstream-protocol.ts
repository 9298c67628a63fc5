/**
 * Which protocol the upstream speaks, asked the way a client learns it: a TLS handshake offering `h2` and
 * `http/1.1` by ALPN (RFC 7301), then the protocol the server selected. The connection is closed at
 * once; it only asks. A failed handshake answers nothing (the caller keeps HTTP/1.1 and may ask again).
 */
import { connect, type ConnectionOptions } from 'node:tls';

export type NegotiatedProtocol = 'h2' | 'http/1.1';

export function negotiateProtocol(opts: { host: string; port: number; tls: ConnectionOptions; timeoutMs: number }): Promise<NegotiatedProtocol | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ ...opts.tls, host: opts.host, port: opts.port, ALPNProtocols: ['h2', 'http/1.1'] });
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const selected = socket.alpnProtocol;
      socket.destroy();
      resolve(selected === 'h2' ? 'h2' : 'http/1.1');
    });
    socket.once('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}
