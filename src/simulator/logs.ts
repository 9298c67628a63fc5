/**
 * pods/log for the simulator: a deterministic log per container, served as text/plain like the kubelet's
 * log endpoint behind the apiserver's LocationStreamer (pkg/registry/core/pod/rest/log.go).
 *
 * - Container choice follows pod strategy's LogLocation/streamLocation (pkg/registry/core/pod/strategy.go):
 *   the only container by default, 400 "a container name must be specified ..." with several, 400
 *   "container X is not valid for pod Y" for an unknown one; a pod without a node has an empty log.
 * - Options are checked like validation.ValidatePodLogOptions (422 Invalid on PodLogOptions).
 * - Every container has HISTORY_LINES lines, one per second from its start; `follow=true` then appends a
 *   line every FOLLOW_INTERVAL_MS until the client goes away (the timer is cleared on close).
 * - timestamps=true prefixes RFC3339Nano times as the kubelet does; tailLines, sinceSeconds/sinceTime and
 *   limitBytes (the stream ends after exactly that many bytes, even when following) apply as upstream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { failureStatus, invalidStatus, writeStatus, type Status } from '../k8s/status.js';
import type { KubeObject } from './kube-object.js';

export const HISTORY_LINES = 20;
export const FOLLOW_INTERVAL_MS = 200;

export interface LogStreamOptions {
  now: () => number;
}

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function containerNames(pod: KubeObject, field: 'containers' | 'initContainers'): string[] {
  const list = asRecord(pod.spec)[field];
  return Array.isArray(list) ? list.map((c) => String(asRecord(c).name ?? '')) : [];
}

/** The container a log or exec request addresses, or the apiserver's 400 Status (streamLocation's rules). */
export function resolveContainer(pod: KubeObject, requested: string | null): { container: string } | { status: Status } {
  const name = pod.metadata.name;
  const containers = containerNames(pod, 'containers');
  const init = containerNames(pod, 'initContainers');
  if (requested) {
    if (containers.includes(requested) || init.includes(requested)) return { container: requested };
    return { status: failureStatus(400, 'BadRequest', `container ${requested} is not valid for pod ${name}`) };
  }
  if (containers.length === 1) return { container: containers[0]! };
  if (containers.length === 0) return { status: failureStatus(400, 'BadRequest', `a container name must be specified for pod ${name}`) };
  let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
  return { status: failureStatus(400, 'BadRequest', message) };
}

/** time.RFC3339Nano: fractional seconds without trailing zeros. */
export function formatRFC3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

interface LogRequest {
  container: string;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceMs?: number;
}

function integerParam(query: URLSearchParams, name: string): number | undefined | Error {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  return /^-?\d+$/.test(raw) ? Number(raw) : new Error(`${name}: strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

function parseLogRequest(pod: KubeObject, query: URLSearchParams, now: number): LogRequest | Status {
  const resolved = resolveContainer(pod, query.get('container'));
  if ('status' in resolved) return resolved.status;
  const tailLines = integerParam(query, 'tailLines');
  const limitBytes = integerParam(query, 'limitBytes');
  const sinceSeconds = integerParam(query, 'sinceSeconds');
  for (const v of [tailLines, limitBytes, sinceSeconds]) if (v instanceof Error) return failureStatus(400, 'BadRequest', v.message);
  const sinceTime = query.get('sinceTime');
  const sinceTimeMs = sinceTime ? Date.parse(sinceTime) : undefined;
  if (sinceTimeMs !== undefined && Number.isNaN(sinceTimeMs)) return failureStatus(400, 'BadRequest', `sinceTime: parsing time ${JSON.stringify(sinceTime)} as RFC3339 failed`);
  const causes: { reason: string; message: string; field: string }[] = [];
  const invalid = (field: string, value: number, msg: string): void => void causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${msg}`, field });
  if (typeof tailLines === 'number' && tailLines < 0) invalid('tailLines', tailLines, 'must be greater than or equal to 0');
  if (typeof limitBytes === 'number' && limitBytes < 1) invalid('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTimeMs !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', field: '' });
  } else if (typeof sinceSeconds === 'number' && sinceSeconds < 1) invalid('sinceSeconds', sinceSeconds, 'must be greater than 0');
  if (causes.length > 0) return invalidStatus('PodLogOptions', '', pod.metadata.name, causes);
  const flag = (name: string): boolean => ['true', '1'].includes((query.get(name) ?? '').toLowerCase());
  return {
    container: resolved.container,
    follow: flag('follow'),
    timestamps: flag('timestamps'),
    tailLines: tailLines as number | undefined,
    limitBytes: limitBytes as number | undefined,
    sinceMs: typeof sinceSeconds === 'number' ? now - sinceSeconds * 1000 : sinceTimeMs,
  };
}

/** When the container started: its running.startedAt, else the pod's creationTimestamp. */
function containerStart(pod: KubeObject, container: string): number {
  const statuses = asRecord(pod.status).containerStatuses;
  const own = Array.isArray(statuses) ? statuses.map(asRecord).find((s) => s.name === container) : undefined;
  const startedAt = asRecord(asRecord(own?.state).running).startedAt;
  const parsed = Date.parse(typeof startedAt === 'string' ? startedAt : pod.metadata.creationTimestamp);
  return Number.isNaN(parsed) ? 0 : parsed;
}

function logLine(pod: KubeObject, container: string, n: number): string {
  return `pod=${pod.metadata.namespace ?? ''}/${pod.metadata.name} container=${container} line=${n} msg="simulated log line ${n}"\n`;
}

export function streamPodLogs(_req: IncomingMessage, res: ServerResponse, pod: KubeObject, query: URLSearchParams, opts: LogStreamOptions): void {
  const parsed = parseLogRequest(pod, query, opts.now());
  if ('kind' in parsed) return writeStatus(res, parsed);
  const { container } = parsed;
  const phase = asRecord(pod.status).phase;
  if (phase === 'Pending') {
    return writeStatus(res, failureStatus(400, 'BadRequest', `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`));
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  if (!asRecord(pod.spec).nodeName) return void res.end(); // no host: the apiserver streams an empty log

  let remaining = parsed.limitBytes ?? Infinity;
  /** Writes a line (cut at limitBytes, after which the response ends); false once the stream is over. */
  const emit = (n: number, at: number): boolean => {
    const text = `${parsed.timestamps ? `${formatRFC3339Nano(at)} ` : ''}${logLine(pod, container, n)}`;
    const bytes = Buffer.from(text);
    const chunk = bytes.length > remaining ? bytes.subarray(0, remaining) : bytes;
    remaining -= chunk.length;
    if (chunk.length > 0) res.write(chunk);
    if (remaining <= 0) res.end();
    return remaining > 0;
  };

  const start = containerStart(pod, container);
  let history = Array.from({ length: HISTORY_LINES }, (_, i) => ({ n: i + 1, at: start + (i + 1) * 1000 }));
  if (parsed.sinceMs !== undefined) history = history.filter((l) => l.at >= parsed.sinceMs!);
  if (parsed.tailLines !== undefined) history = parsed.tailLines === 0 ? [] : history.slice(-parsed.tailLines);
  for (const line of history) if (!emit(line.n, line.at)) return;
  if (!parsed.follow) return void res.end();

  let next = HISTORY_LINES + 1;
  const timer = setInterval(() => {
    if (res.writableNeedDrain) return; // a slow reader: skip this tick rather than buffer without bound
    if (!emit(next++, opts.now())) clearInterval(timer);
  }, FOLLOW_INTERVAL_MS);
  // The response's 'close' fires when it ends or the client goes away (req's 'close' fires as soon as a GET's
  // empty body is read, so it is no signal here).
  res.once('close', () => clearInterval(timer));
}
