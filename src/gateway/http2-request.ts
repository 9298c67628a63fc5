/**
 * Node's HTTP/2 compatibility API gives each stream a request and a response with the calls the
 * pipeline makes on HTTP/1.1 ones (method, url, headers, body, writeHead, flushHeaders, pipe, close),
 * so both protocols go through one pipeline. Three things differ, and are settled here, once:
 * - `rawHeaders` carries the pseudo-headers (`:method`, `:path`, `:scheme`, `:authority`): they are left
 *   out, and `:authority` becomes `host` when the client sent no Host (RFC 9113 §8.3.1), so what is
 *   forwarded is what an HTTP/1.1 client would have sent;
 * - `socket` is a new object for every stream: it becomes the connection's (the session's socket
 *   proxy, the same for every stream), so what is learned of a connection — its verified client
 *   certificate — holds for all its streams, as it does for a keep-alive HTTP/1.1 connection;
 * - a request has a body unless its HEADERS frame ended the stream: a Content-Length is optional.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';

const COLON = 58;

export function asPipelineRequest(req: Http2ServerRequest): IncomingMessage {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let host = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === COLON) continue;
    if (!host && name.length === 4 && name.toLowerCase() === 'host') host = true;
    headers.push(name, raw[i + 1]!);
  }
  const authority = req.authority;
  if (!host && authority) {
    headers.unshift('host', authority);
    req.headers.host ??= authority;
  }
  Object.defineProperty(req, 'rawHeaders', { value: headers });
  const session = req.stream.session;
  if (session) Object.defineProperty(req, 'socket', { value: session.socket });
  return req as unknown as IncomingMessage;
}

/** Whether a request carries a body: HTTP/2 says so by not ending the stream with its headers. */
export function http2RequestHasBody(req: IncomingMessage): boolean | undefined {
  const stream = (req as { stream?: Http2ServerRequest['stream'] }).stream;
  return stream === undefined ? undefined : !stream.endAfterHeaders;
}
