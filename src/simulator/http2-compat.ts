/**
 * The simulator's handlers read requests as Node's HTTP/1.1 IncomingMessage. Node's HTTP/2
 * compatibility request has the same shape except `headersDistinct` (every header as a list of its
 * values), which this adds, computed from the request's raw headers with the pseudo-headers left out.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';

export function asIncomingMessage(req: IncomingMessage | Http2ServerRequest): IncomingMessage {
  if (!('stream' in req)) return req;
  const distinct: NodeJS.Dict<string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(':')) continue;
    (distinct[name] ??= []).push(raw[i + 1]!);
  }
  Object.defineProperty(req, 'headersDistinct', { value: distinct });
  return req as unknown as IncomingMessage & { headers: IncomingHttpHeaders };
}
