/**
 * The remote-command channel protocol as kubectl 1.32 and kube-apiserver speak it over WebSocket.
 *
 * - client-go tools/remotecommand/websocket.go: kubectl's WebSocket executor offers only
 *   `v5.channel.k8s.io`; every message is binary, its first byte the channel (0 stdin, 1 stdout, 2 stderr,
 *   3 error, 4 resize). v5 adds the CLOSE signal `[255, channel]` (a half-close: the client closed stdin).
 *   Older clients (e.g. @kubernetes/client-node) may settle for `v4.channel.k8s.io`, which has no CLOSE.
 * - apiserver/pkg/util/proxy/websocket.go: on open the server writes an empty message on the lowest writable
 *   channel; at the end it writes a metav1.Status (JSON) on the error channel and closes.
 * - kubelet cri/streaming/remotecommand/exec.go and apiserver streamtranslator.go (codeExitToStatusError):
 *   a non-zero exit is `Failure` with reason `NonZeroExitCode` and a cause `{reason: ExitCode, message: "N"}`,
 *   which client-go's errorDecoderV4 (v4.go) turns into the exit code kubectl exits with.
 * - client-go tools/remotecommand/fallback.go and transport/websocket/roundtripper.go: a refused upgrade with a
 *   Status body is an UpgradeFailureError, so kubectl retries over SPDY; answering SPDY with the same kind of
 *   Status makes kubectl print it ("Error from server (BadRequest): ...") instead of hanging.
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { failureStatus, type Status } from '../k8s/status.js';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_ERROR = 3;
export const STREAM_RESIZE = 4;
export const STREAM_CLOSE = 255;

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
export const SUPPORTED_PROTOCOLS: readonly string[] = [PROTOCOL_V5, PROTOCOL_V4];

/** wsstream's handshake: the first protocol the client offers that the server supports. */
export function selectProtocol(offered: readonly string[]): string | undefined {
  return offered.find((p) => SUPPORTED_PROTOCOLS.includes(p));
}

export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  return raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

export interface ExecOptions {
  command: string[];
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const flag = (query: URLSearchParams, name: string): boolean => ['true', '1'].includes((query.get(name) ?? '').toLowerCase());

/** PodExecOptions from the query (`command` repeats), or the 400 Status the server answers before upgrading. */
export function parseExecOptions(query: URLSearchParams, container: string): ExecOptions | Status {
  const command = query.getAll('command');
  if (command.length === 0) return failureStatus(400, 'BadRequest', 'you must specify at least 1 command');
  const opts = { command, container, stdin: flag(query, 'stdin'), stdout: flag(query, 'stdout'), stderr: flag(query, 'stderr'), tty: flag(query, 'tty') };
  if (!opts.stdin && !opts.stdout && !opts.stderr) return failureStatus(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  // With a TTY stderr is merged into stdout (the client opens no stderr stream).
  return opts.tty ? { ...opts, stderr: false } : opts;
}

/** metav1.Status as the kubelet json.Marshal-s it onto the error channel (no kind, apiVersion or code). */
export function successStatusJson(): string {
  return JSON.stringify({ metadata: {}, status: 'Success' });
}

/**
 * The NonZeroExitCode Status. Over v5 the apiserver's stream translator wraps client-go's CodeExitError
 * ("command terminated with exit code N"); over v4 the kubelet/runtime text reaches the client directly.
 */
export function exitStatusJson(code: number, command: readonly string[], protocol: string): string {
  const inner = protocol === PROTOCOL_V5 ? `command terminated with exit code ${code}` : `error executing command [${command.join(' ')}], exit code ${code}`;
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${inner}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

export function frame(channel: number, data: Buffer | string = ''): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** Answers an upgrade request on the raw socket with a Status (the handshake never happens). */
export function rejectUpgrade(socket: Duplex, status: Status): void {
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}`,
    'Content-Type: application/json',
    'Cache-Control: no-cache, private',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
