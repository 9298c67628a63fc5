/**
 * The process logger: pino JSON to stdout, with credentials redacted wherever they might be logged.
 * The demo gives it a destination that renders each line for a terminal (src/cli/demo-log.ts).
 */
import { pino, type Logger } from 'pino';

/** Header values that are credentials: never logged (request-context.ts masks them the same way). */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie'];

export const REDACT_PATHS = [
  ...CREDENTIAL_HEADERS.flatMap((name) => [`req.headers["${name}"]`, `headers["${name}"]`]),
  'token',
  '*.token',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where JSON lines go (tests pass a stream to parse records, the demo a pretty printer); stdout by default. */
  destination?: NodeJS.WritableStream;
  /**
   * stdout written asynchronously and in batches: lines gather until 4 KiB or `STDOUT_FLUSH_MS` after the
   * first of them, whichever comes first, then go out in one write (a write per line cost the gateway
   * ~110 µs of CPU per request at concurrency 1: each is a round trip through libuv's thread pool); what
   * is pending is written when the process exits. The gateway's request lines use it.
   */
  asyncStdout?: boolean;
}

/** How long a log line may wait for others before stdout is written. */
export const STDOUT_FLUSH_MS = 100;
const STDOUT_BATCH_BYTES = 4096;

/** Codes of the network's expected failures: a peer that resets, refuses, goes away or does not answer. */
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A system error of a socket (Node sets `syscall` on those), or one wrapping such an error. */
function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    if (typeof syscall === 'string' || (typeof code === 'string' && CONNECTION_CODES.has(code))) return true;
  }
  return false;
}

/**
 * pino's error serializer, less the stack of a connection error: where a peer reset or refused a
 * connection is an expected event, and its stack (Node's socket internals) says nothing the message
 * and code do not. Every other error keeps its stack.
 */
function serializeError(err: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  if (!isConnectionError(err)) return serialized;
  const { stack: _stack, ...rest } = serialized;
  return rest;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const base = {
    level: opts.level ?? 'info',
    name: opts.name ?? 'listgate',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: serializeError },
  };
  if (opts.destination) return pino(base, opts.destination);
  if (!opts.asyncStdout) return pino(base);
  // pino flushes this destination when the process exits; the timer writes a batch that stays short.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: STDOUT_BATCH_BYTES });
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    flushTimer = undefined;
    try {
      stdout.flush();
    } catch {
      // Ended: the process is exiting, and pino has written what was pending.
    }
  };
  const streamWrite = (line: string): string => {
    flushTimer ??= setTimeout(flush, STDOUT_FLUSH_MS).unref();
    return line;
  };
  return pino({ ...base, hooks: { streamWrite } }, stdout);
}
