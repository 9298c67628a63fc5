/**
 * The gateway's request lines (src/gateway/request-log.ts: one pino JSON line, `request completed`, per
 * request), read back from its log file: what it estimated for each LIST, who sent it and when it
 * arrived (the line's time less the request's duration).
 */
import { readFile } from 'node:fs/promises';

export interface RequestLine {
  /** Epoch milliseconds when the request arrived. */
  arrivedAt: number;
  /** Epoch milliseconds when it ended (the line's time). */
  endedAt: number;
  user: string | undefined;
  verb: string | undefined;
  code: number | undefined;
  decision: string | undefined;
  estimatedBytes: number | undefined;
  estimatedResponseBytes: number | undefined;
  observedResponseBytes: number | undefined;
  bytes: number | undefined;
  durationMs: number | undefined;
  /** The gateway's error code for a request that failed (e.g. upstream_aborted). */
  error: string | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The request lines of a pino log text, in file order; other lines (and broken ones) are skipped. */
export function parseRequestLines(text: string): RequestLine[] {
  const out: RequestLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.includes('"request completed"')) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (rec['msg'] !== 'request completed') continue;
    const endedAt = num(rec['time']) ?? 0;
    out.push({
      arrivedAt: endedAt - (num(rec['durationMs']) ?? 0),
      endedAt,
      user: str(rec['user']),
      verb: str(rec['verb']),
      code: num(rec['code']),
      decision: str(rec['decision']),
      estimatedBytes: num(rec['estimatedBytes']),
      estimatedResponseBytes: num(rec['estimatedResponseBytes']),
      observedResponseBytes: num(rec['observedResponseBytes']),
      bytes: num(rec['bytes']),
      durationMs: num(rec['durationMs']),
      error: str(rec['error']),
    });
  }
  return out;
}

export async function readRequestLines(logFile: string): Promise<RequestLine[]> {
  return parseRequestLines(await readFile(logFile, 'utf8').catch(() => ''));
}

/** The estimated LIST that arrived first among the lines `pick` accepts (the storm's first price). */
export function firstEstimate(lines: readonly RequestLine[], pick: (l: RequestLine) => boolean): RequestLine | undefined {
  let first: RequestLine | undefined;
  for (const l of lines) {
    if (l.verb !== 'list' || l.estimatedBytes === undefined || !pick(l)) continue;
    if (!first || l.arrivedAt < first.arrivedAt) first = l;
  }
  return first;
}
