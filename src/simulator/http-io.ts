/**
 * Reading request bodies and writing JSON responses the way the apiserver does: the 3 MiB request body
 * limit (k8s.io/apiserver/pkg/server/config.go MaxRequestBodyBytes), `Content-Type: application/json`,
 * `Cache-Control: no-cache, private` and an `Audit-Id` on every answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeStatus, type Status } from '../k8s/status.js';
import { parse as parseYaml } from 'yaml';
import { badRequest, requestTooLarge, unsupportedMediaType } from './api-errors.js';
import { decodeProtobufBody } from './protobuf-body.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer | Status> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(requestTooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', () => {
      if (!done) resolve(badRequest('the request body could not be read'));
      done = true;
    });
  });
}

/**
 * The decoded request body by Content-Type: JSON (also the default), YAML, or the protobuf encoding
 * kubectl's typed clients send (protobuf-body.ts); anything else is 415 like the apiserver's decoder.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown | Status> {
  const body = await readBody(req);
  if (!Buffer.isBuffer(body)) return body;
  if (body.length === 0) return {};
  const type = String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  try {
    if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufBody(body);
    if (type === 'application/yaml') return parseYaml(body.toString('utf8')) as unknown;
    if (type !== 'application/json' && type !== '*/*' && type !== '') {
      return unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    if (type === 'application/vnd.kubernetes.protobuf') {
      return { ...unsupportedMediaType(['application/json', 'application/yaml']), message: `the body of the request could not be decoded: ${(err as Error).message}` };
    }
    return badRequest(`the request body is not valid ${type === 'application/yaml' ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status' && typeof (value as { code?: unknown }).code === 'number';
}

export function commonHeaders(): Record<string, string> {
  return { 'Audit-Id': randomUUID(), 'Cache-Control': 'no-cache, private' };
}

/** Writes a Status with its fields in the Go struct's order (details before code), and Retry-After when it has one. */
export function sendStatus(res: ServerResponse, status: Status): void {
  const { kind, apiVersion, metadata, status: outcome, message, reason, details, code } = status;
  const ordered = { kind, apiVersion, metadata, status: outcome, message, reason, details, code } as Status;
  if (ordered.message === undefined) delete ordered.message;
  if (ordered.reason === undefined) delete ordered.reason;
  if (ordered.details === undefined) delete ordered.details;
  // responsewriters.ErrorNegotiated: a Status that says when to retry says it in Retry-After too.
  const retry = details?.retryAfterSeconds;
  writeStatus(res, ordered, { 'Audit-Id': randomUUID(), ...(retry ? { 'Retry-After': String(retry) } : {}) });
}

export function sendJson(res: ServerResponse, code: number, body: Buffer | object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(code, { ...commonHeaders(), 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  res.end(bytes);
}
