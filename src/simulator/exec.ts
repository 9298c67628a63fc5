/**
 * pods/exec over WebSocket (the `ws` package, noServer) with a trivial shell of our own: `echo`, `cat`
 * (stdin to stdout until stdin closes), `hostname`, `env`, `true`/`false`, `sleep N`, `sh -c "a; b && c"`
 * with `exit N`, and an interactive `sh` reading commands from stdin. Anything else exits 127 with a message
 * on stderr. The wire protocol (channels, CLOSE signal, exit Status) is in exec-protocol.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { failureStatus } from '../k8s/status.js';
import type { KubeObject } from './kube-object.js';
import { resolveContainer } from './logs.js';
import {
  PROTOCOL_V5, STREAM_CLOSE, STREAM_ERROR, STREAM_STDERR, STREAM_STDIN, STREAM_STDOUT, SUPPORTED_PROTOCOLS,
  exitStatusJson, frame, offeredProtocols, parseExecOptions, rejectUpgrade, selectProtocol, successStatusJson,
  type ExecOptions,
} from './exec-protocol.js';

export interface ExecServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, query: URLSearchParams): void;
  close(): void;
}

/** What a command sees: output, stdin (buffered until read), and an abort signal for when the client leaves. */
interface ShellIO {
  out(text: string): void;
  err(text: string): void;
  /** Next stdin chunk, or undefined once stdin is closed (or the session aborted). */
  read(): Promise<Buffer | undefined>;
  signal: AbortSignal;
  hostname: string;
  env: string[];
}

function podEnv(pod: KubeObject, container: string, hostname: string): string[] {
  const spec = (pod.spec ?? {}) as { containers?: { name?: string; env?: { name?: string; value?: string }[] }[] };
  const own = (spec.containers ?? []).find((c) => c.name === container);
  const declared = (own?.env ?? []).filter((e) => e.name && typeof e.value === 'string').map((e) => `${e.name}=${e.value}`);
  return [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `HOSTNAME=${hostname}`,
    ...declared,
    'KUBERNETES_SERVICE_HOST=10.96.0.1',
    'KUBERNETES_SERVICE_PORT=443',
    'KUBERNETES_PORT=tcp://10.96.0.1:443',
    'HOME=/root',
  ];
}

/** Splits a script into statements (`;`, `&&`) of quote-aware words. */
function parseScript(script: string): { words: string[]; and: boolean }[] {
  const statements: { words: string[]; and: boolean }[] = [];
  for (const m of script.matchAll(/((?:[^;&'"]|'[^']*'|"[^"]*"|&(?!&))+)(;|&&|$)/g)) {
    const words = [...(m[1] ?? '').matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3] ?? '');
    if (words.length > 0) statements.push({ words, and: m[2] === '&&' });
  }
  return statements;
}

async function runScript(script: string, io: ShellIO): Promise<{ code: number; exited: boolean }> {
  let code = 0;
  let skip = false;
  for (const { words, and } of parseScript(script)) {
    if (!skip) {
      if (words[0] === 'exit') return { code: (Number.parseInt(words[1] ?? String(code), 10) || 0) & 255, exited: true };
      code = await runCommand(words, io, true);
    }
    skip = and && code !== 0;
  }
  return { code, exited: false };
}

async function runCommand(argv: string[], io: ShellIO, inShell: boolean): Promise<number> {
  const [cmd = '', ...args] = argv;
  switch (cmd.replace(/^\/(usr\/)?bin\//, '')) {
    case 'echo': {
      const noNewline = args[0] === '-n';
      io.out(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
      return 0;
    }
    case 'cat':
      if (args.length > 0) return (io.err(`cat: ${args[0]}: No such file or directory\n`), 1);
      for (let chunk = await io.read(); chunk; chunk = await io.read()) io.out(chunk.toString());
      return 0;
    case 'hostname':
      return (io.out(`${io.hostname}\n`), 0);
    case 'env':
      return (io.out(`${io.env.join('\n')}\n`), 0);
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'sleep':
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Number(args[0] ?? 0) * 1000);
        io.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      return 0;
    case 'sh':
    case 'bash':
      if (args[0] === '-c') return (await runScript(args[1] ?? '', io)).code;
      return interactiveShell(io);
    default:
      io.err(inShell ? `sh: ${cmd}: not found\n` : `exec: "${cmd}": executable file not found in $PATH\n`);
      return 127;
  }
}

/** `sh` without -c: runs stdin line by line until stdin closes or a line says `exit`. */
async function interactiveShell(io: ShellIO): Promise<number> {
  let pending = '';
  let code = 0;
  for (let chunk = await io.read(); chunk; chunk = await io.read()) {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      const result = await runScript(line, io);
      if (result.exited) return result.code;
      code = result.code;
    }
  }
  return pending.trim() ? (await runScript(pending, io)).code : code;
}

/** One exec session on an open WebSocket: channels in, the shell, and the exit Status out. */
function runSession(ws: WebSocket, pod: KubeObject, opts: ExecOptions): void {
  const protocol = ws.protocol;
  const abort = new AbortController();
  const chunks: Buffer[] = [];
  let stdinOpen = opts.stdin;
  let wake: (() => void) | undefined;
  const notify = (): void => (wake?.(), void (wake = undefined));
  const send = (channel: number, data: string): void => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, opts.tty ? data.replace(/\r?\n/g, '\r\n') : data));
  };
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    const data = Buffer.isBuffer(raw) ? raw : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]);
    if (!isBinary || data.length === 0) return;
    if (protocol === PROTOCOL_V5 && data[0] === STREAM_CLOSE && data[1] === STREAM_STDIN) stdinOpen = false;
    else if (data[0] === STREAM_STDIN && stdinOpen && data.length > 1) chunks.push(data.subarray(1));
    else return; // resize (4) and unknown channels are ignored, as the kubelet ignores them without a TTY
    notify();
  });
  ws.on('close', () => (abort.abort(), (stdinOpen = false), notify()));
  const hostname = String((pod.spec as { hostname?: string } | undefined)?.hostname ?? pod.metadata.name);
  const io: ShellIO = {
    out: (text) => send(STREAM_STDOUT, text),
    err: (text) => send(opts.stderr ? STREAM_STDERR : STREAM_STDOUT, text),
    read: async () => {
      while (chunks.length === 0 && stdinOpen && !abort.signal.aborted) await new Promise<void>((r) => (wake = r));
      return chunks.shift();
    },
    signal: abort.signal,
    hostname,
    env: podEnv(pod, opts.container, hostname),
  };
  // The session starts after the hop a real apiserver makes to the kubelet and the container runtime
  // (tens of milliseconds): client-go's WebSocket executor discards a message that arrives before it has
  // made its streams ("Unknown stream id 1, discarding message"), so output sent at once could be lost.
  const start = setTimeout(() => {
    if (ws.readyState !== ws.OPEN) return;
    // The apiserver's first message: empty, on the lowest writable channel.
    ws.send(frame(opts.stdout ? STREAM_STDOUT : opts.stderr ? STREAM_STDERR : STREAM_ERROR));
    void runCommand(opts.command, io, false).then((code) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(STREAM_ERROR, code === 0 ? successStatusJson() : exitStatusJson(code, opts.command, protocol)));
      ws.close(1000);
    });
  }, SESSION_START_MS);
  ws.once('close', () => clearTimeout(start));
}

/** How long after the upgrade a session starts (see runSession). */
export const SESSION_START_MS = 50;

export function createExecServer(): ExecServer {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => selectProtocol([...offered]) ?? false });
  return {
    handleUpgrade(req, socket, head, pod, query) {
      const resolved = resolveContainer(pod, query.get('container'));
      if ('status' in resolved) return rejectUpgrade(socket, resolved.status);
      const opts = parseExecOptions(query, resolved.container);
      if ('kind' in opts) return rejectUpgrade(socket, opts);
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase !== undefined && phase !== 'Running') {
        return rejectUpgrade(socket, failureStatus(400, 'BadRequest', `unable to upgrade connection: container not found ("${opts.container}")`));
      }
      const upgrade = String(req.headers.upgrade ?? '');
      if (upgrade.toLowerCase() !== 'websocket') {
        const message = `Upgrade request required: pods/exec is served over WebSocket (${SUPPORTED_PROTOCOLS.join(', ')}) only, not ${upgrade || 'a plain request'}`;
        return rejectUpgrade(socket, failureStatus(400, 'BadRequest', message));
      }
      const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
      if (!selectProtocol(offered)) {
        const message = `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${SUPPORTED_PROTOCOLS.join(' ')}]`;
        return rejectUpgrade(socket, failureStatus(400, 'BadRequest', message));
      }
      wss.handleUpgrade(req, socket, head, (ws) => runSession(ws, pod, opts));
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
