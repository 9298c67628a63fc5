/**
 * Answers a request with a Kubernetes Status (the gateway's own errors), on either kind of exchange:
 * a ServerResponse, or the raw socket of an upgrade request that was never switched. If a response was
 * already under way the connection is destroyed instead, so the client sees a failure, never a clean end.
 */
import { STATUS_CODES } from 'node:http';
import { writeStatus, type Status } from '../k8s/status.js';
import type { Exchange } from './request-context.js';

export function replyStatus(exchange: Exchange, status: Status, requestId: string, headers: Record<string, string> = {}): void {
  if (exchange.type === 'http') {
    writeStatus(exchange.res, status, { ...headers, 'Audit-Id': requestId });
    return;
  }
  const { socket } = exchange;
  if (socket.destroyed || !socket.writable) return;
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-cache, private',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Audit-Id: ${requestId}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
