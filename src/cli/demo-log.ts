/**
 * The demo's terminal: the production logger's JSON lines (src/log.ts) rendered by pino-pretty as one
 * line each. A request is one line, `jane list secrets -n ns-0 → 200, 2.90 KiB in 9.7 ms`; any other
 * record is its message and its fields as `key=value`, an error as its message alone (the stack stays
 * in the JSON lines of `--json-logs`). Colour only on a terminal (and not with NO_COLOR).
 */
import pretty from 'pino-pretty';
import { formatBytes } from '../estimate/format-bytes.js';

type Record_ = Record<string, unknown>;

/** Fields pino writes on every line, or that this format shows elsewhere. */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component', 'requestId', 'err']);

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const field = (key: string, v: unknown): string => {
  const s = text(v);
  return `${key}=${typeof v === 'string' && /\s/.test(s) ? JSON.stringify(s) : s}`;
};

function errorText(err: unknown): string {
  if (typeof err !== 'object' || err === null) return text(err);
  const e = err as { message?: unknown; code?: unknown; type?: unknown };
  const code = typeof e.code === 'string' && !String(e.message).includes(e.code) ? ` (${e.code})` : '';
  return `${typeof e.message === 'string' ? e.message : text(err)}${code}`;
}

function targetText(log: Record_): string {
  const t = log.target as { resource?: string; subresource?: string; name?: string; namespace?: string } | undefined;
  if (!t) return typeof log.path === 'string' ? log.path : '';
  const what = `${t.resource ?? ''}${t.subresource ? `/${t.subresource}` : ''}${t.name ? ` ${t.name}` : ''}`;
  if (t.namespace) return `${what} -n ${t.namespace}`;
  return log.verb === 'list' || log.verb === 'watch' ? `${what} -A` : what;
}

/** One request: who, what, the answer, admission's word when it had one, size and time. */
export function formatRequestLine(log: Record_): string {
  const admission = log.admission as { level?: string; reason?: string; retryAfterSeconds?: number; waitedMs?: number } | undefined;
  const notes: string[] = [];
  if (log.kind === 'streamingList') notes.push('streaming list');
  if (log.decision === 'queued' && admission?.waitedMs) notes.push(`queued ${admission.waitedMs} ms`);
  if (log.decision === 'exempt') notes.push('exempt');
  const offload = log.offload as { mode?: string; pieces?: number; result?: string } | undefined;
  if (log.decision === 'offload' && offload) notes.push(`offloaded: ${offload.mode === 'watch' ? 'a streaming list' : `${offload.pieces ?? 0} pages`}${offload.result === 'complete' ? '' : `, ${offload.result ?? ''}`}`);
  if (log.decision === 'rejected') notes.push(`rejected: ${admission?.reason ?? 'over budget'}${admission?.retryAfterSeconds ? `, retry after ${admission.retryAfterSeconds}s` : ''}`);
  if (typeof log.estimatedBytes === 'number' && log.estimatedBytes > 0) notes.push(`estimated ${formatBytes(log.estimatedBytes)}`);
  if (typeof log.error === 'string') notes.push(log.error);
  if (log.clientClosed === true) notes.push('the client went away');
  const size = typeof log.bytes === 'number' ? `, ${formatBytes(log.bytes)}` : '';
  const time = typeof log.durationMs === 'number' ? ` in ${log.durationMs} ms` : '';
  const who = typeof log.user === 'string' ? log.user : '(not authenticated)';
  const request = [who, text(log.verb), targetText(log)].filter((part) => part !== '').join(' ');
  return `${request} → ${text(log.code)}${size}${time}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** Any record: a request's one line, or `[component] message key=value …` with an error's message only. */
export function formatDemoLine(log: Record_): string {
  if (log.msg === 'request completed') return formatRequestLine(log);
  const fields = Object.entries(log)
    .filter(([key, v]) => !OWN_FIELDS.has(key) && v !== undefined)
    .map(([key, v]) => field(key, v));
  if (log.err !== undefined) fields.push(`error: ${errorText(log.err)}`);
  const component = typeof log.component === 'string' ? `[${log.component}] ` : '';
  return `${component}${text(log.msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`;
}

/** The stream to give createLogger as its destination: one readable line per record on `out`. */
export function createDemoLogStream(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): NodeJS.WritableStream {
  return pretty({
    destination: out,
    colorize: out.isTTY === true && !process.env.NO_COLOR,
    hideObject: true,
    ignore: 'pid,hostname,name',
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: (log) => formatDemoLine(log),
    sync: true,
  });
}
