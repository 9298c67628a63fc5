/**
 * pods/portforward as kubectl 1.32 does it:
 * - first a WebSocket upgrade (GET) offering `SPDY/3.1+portforward.k8s.io`: the apiserver's tunneling
 *   handler (PortForwardWebsockets, beta and on in 1.31+) accepts it and carries SPDY inside binary
 *   WebSocket messages (client-go tools/portforward tunneling_dialer.go, tunneling_connection.go);
 * - when that upgrade is refused, the SPDY upgrade (POST, `Upgrade: SPDY/3.1`,
 *   `X-Stream-Protocol-Version: portforward.k8s.io`), answered 101 with the chosen protocol.
 * Either way the client opens, per local connection, an error stream and a data stream with the headers
 * `streamtype` (error|data), `port` and `requestid` (client-go tools/portforward portforward.go
 * handleConnection). Once both streams of a request id are there, the data stream is connected to what
 * listens on the port inside the pod (pod-ports.ts); a refusal is written on the error stream, and the
 * error stream is closed when the data stream is done, which is what the client waits for
 * (kubelet cri/streaming/portforward/httpstream.go portForward).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { failureStatus } from '../k8s/status.js';
import { offeredProtocols, rejectUpgrade } from './exec-protocol.js';
import type { KubeObject } from './kube-object.js';
import type { PodPorts } from './pod-ports.js';
import { createSpdyServerSession, type SpdyStream } from './spdy-session.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

export interface PortForwardServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject): void;
  close(): void;
}

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Pairs the streams of each request id and connects each complete pair to the pod. */
function servePairs(pod: KubeObject, ports: PodPorts): (stream: SpdyStream) => void {
  const pairs = new Map<string, StreamPair>();
  return (stream) => {
    const type = stream.header('streamtype');
    const requestId = stream.header('requestid');
    if ((type !== 'error' && type !== 'data') || requestId === undefined) {
      stream.destroy();
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    pair[type] = stream;
    pairs.set(requestId, pair);
    const { error, data } = pair;
    if (!error || !data) return;
    pairs.delete(requestId);
    error.resume(); // the client sends nothing on it but its FIN
    const finish = (): void => void (error.writableEnded || error.destroyed ? undefined : error.end());
    data.once('finish', finish);
    data.once('close', finish);
    const portText = data.header('port') ?? '';
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    const refusal = port > 0 && port < 65536 ? ports.connect(pod, port, data) : `invalid port ${JSON.stringify(portText)}`;
    if (refusal === undefined) return;
    const podName = `${pod.metadata.name}`;
    error.write(`error forwarding port ${portText} to pod ${podName}, uid ${String(pod.metadata.uid ?? '')}: ${refusal}`);
    data.end();
  };
}

export function createPortForwardServer(deps: { ports: PodPorts }): PortForwardServer {
  const sessions = new Set<{ close(): void }>();
  // `ws` refuses `SPDY/3.1+portforward.k8s.io` as a subprotocol (the `/` is not a token character), so the
  // offer is checked here, removed from the request, and the choice added to the 101's headers.
  const wss = new WebSocketServer({ noServer: true });
  const tunnelled = new WeakSet<IncomingMessage>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    if (tunnelled.has(req)) headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`);
  });

  const startSession = (transport: Duplex, pod: KubeObject): void => {
    const session = createSpdyServerSession(transport, { onStream: servePairs(pod, deps.ports), onClose: () => sessions.delete(session) });
    sessions.add(session);
  };

  return {
    handleUpgrade(req, socket, head, pod) {
      const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
      if (upgrade === 'websocket') {
        const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
        if (!offered.includes(TUNNEL_PROTOCOL)) {
          const message = `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${TUNNEL_PROTOCOL}]`;
          return rejectUpgrade(socket, failureStatus(400, 'BadRequest', message));
        }
        delete req.headers['sec-websocket-protocol'];
        tunnelled.add(req);
        wss.handleUpgrade(req, socket, head, (ws) => startSession(createWebSocketStream(ws), pod));
        return;
      }
      if (upgrade !== 'spdy/3.1') {
        return rejectUpgrade(socket, failureStatus(400, 'BadRequest', 'Upgrade request required'));
      }
      const versions = offeredProtocols(req.headers['x-stream-protocol-version']);
      if (!versions.includes(PORT_FORWARD_PROTOCOL)) {
        const message = `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`;
        return rejectUpgrade(socket, failureStatus(403, 'Forbidden', message));
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
          `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\nDate: ${new Date().toUTCString()}\r\n\r\n`,
      );
      if (head.length > 0) socket.unshift(head);
      startSession(socket, pod);
    },
    close() {
      for (const session of sessions) session.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
