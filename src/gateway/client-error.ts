/**
 * A request Node's HTTP parser refuses before the pipeline sees it (a request line or header that does
 * not parse, headers too large, headers that did not arrive within `headersTimeout`): answered with a
 * Kubernetes Status written to the socket, as Node's own handler would answer it in plain text (400,
 * 431, 408), then the connection is closed. A socket that is gone or already answering is left alone.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { failureStatus, type Status } from '../k8s/status.js';

const LINGER_MS = 5_000;

/** The Status for a parser error code (`HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`). */
export function clientErrorStatus(code: string | undefined): Status {
  if (code === 'HPE_HEADER_OVERFLOW') return failureStatus(431, 'BadRequest', 'the request headers are too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
    return failureStatus(408, 'Timeout', 'the request headers did not arrive in time');
  }
  return failureStatus(400, 'BadRequest', 'the request could not be parsed as HTTP/1.1 (request line or headers malformed)');
}

export function answerClientError(err: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(err.code);
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, private\r\nConnection: close\r\n\r\n${body}`,
  );
  // Half-closed: the client may still be sending the rest of its request, and a reset now could discard
  // the answer before it reads it. What it sends is read and dropped; the socket goes when it closes
  // its side, or after LINGER_MS.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
