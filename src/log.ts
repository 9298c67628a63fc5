/**
 * The process logger: pino JSON to stdout, with credentials redacted wherever they might be logged.
 * `pretty` (the demo only) renders human-readable lines through pino-pretty.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
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
