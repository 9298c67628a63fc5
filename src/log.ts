/**
 * The process logger: pino JSON to stdout, with credentials redacted wherever they might be logged.
 * `pretty` (the demo only) renders human-readable lines through pino-pretty.
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
  pretty?: boolean;
  name?: string;
  /** Where JSON lines go (tests pass a stream to parse records); stdout by default. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const base = { level: opts.level ?? 'info', name: opts.name ?? 'listgate', redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } };
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } });
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}
