/**
 * A simulator on a loopback port for tests: a fresh CA, a serving certificate for 127.0.0.1/localhost,
 * and an admin client certificate (CN=admin, O=system:masters). `request` is a small HTTPS client that
 * authenticates as the admin unless told otherwise.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createCA, issueClientCert, issueServingCert } from '../../src/certs/pki.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';

export interface TestSimulator {
  url: string;
  port: number;
  caPem: string;
  admin: { certPem: string; keyPem: string };
  sim: Simulator;
  close(): Promise<void>;
}

export async function startTestSimulator(opts: Partial<SimulatorOptions> = {}): Promise<TestSimulator> {
  const ca = createCA('simulator-test-ca');
  const serving = issueServingCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const admin = issueClientCert(ca, { commonName: 'admin', groups: ['system:masters'] });
  const sim = createSimulator({
    tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: ca.certPem },
    ...opts,
  });
  const port = await sim.listen(0, '127.0.0.1');
  return { url: `https://127.0.0.1:${port}`, port, caPem: ca.certPem, admin, sim, close: () => sim.close() };
}

export interface FetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (undefined if it is not JSON). */
  json: unknown;
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Authenticate with this client certificate (default: the admin's); `null` sends none. */
  cert?: { certPem: string; keyPem: string } | null;
  /** Aborts the request after this many ms. */
  signal?: AbortSignal;
}

/** One HTTPS request to the simulator (a fresh connection each time), resolving when the body is complete. */
export function fetchSim(t: Pick<TestSimulator, 'port' | 'caPem' | 'admin'>, path: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const cert = opts.cert === undefined ? t.admin : opts.cert;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
  const options: RequestOptions = {
    method: opts.method ?? 'GET',
    host: '127.0.0.1',
    port: t.port,
    path,
    ca: t.caPem,
    agent: false,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
      ...opts.headers,
    },
    ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.length < 256 * 1024 * 1024 ? buf.toString('utf8') : ''; // V8 strings stop at ~512 MB
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${options.method} ${path} within 30 s`)));
    req.end(body);
  });
}

export interface WatchEvent {
  type: string;
  object: { kind?: string; apiVersion?: string; metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: unknown };
}

export interface WatchStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: WatchEvent[];
  /** Resolves with the first event (at or after the read position) that matches, advancing past it. */
  next(match?: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  /** Resolves when the server ends the stream (or the connection closes). */
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch (newline-delimited JSON events) and collects its events as they arrive. */
export function openWatch(t: Pick<TestSimulator, 'port' | 'caPem' | 'admin'>, path: string, opts: Pick<FetchOptions, 'headers' | 'cert'> = {}): Promise<WatchStream> {
  const cert = opts.cert === undefined ? t.admin : opts.cert;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: t.port, path, ca: t.caPem, agent: false, headers: opts.headers, ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) },
      (res) => {
        const events: WatchEvent[] = [];
        let buffered = '';
        let cursor = 0;
        const waiters = new Set<() => void>();
        let endResolve: () => void = () => undefined;
        const ended = new Promise<void>((r) => (endResolve = r));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
          }
          for (const w of [...waiters]) w();
        });
        const finish = (): void => {
          endResolve();
          for (const w of [...waiters]) w();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
        let done = false;
        ended.then(() => (done = true), () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          ended,
          next(match = () => true, timeoutMs = 5000) {
            return new Promise((ok, fail) => {
              const check = (): boolean => {
                for (; cursor < events.length; cursor++) {
                  if (match(events[cursor]!)) {
                    const e = events[cursor]!;
                    cursor++;
                    ok(e);
                    return true;
                  }
                }
                if (done) fail(new Error(`watch ended without a matching event; got ${JSON.stringify(events.map((e) => e.type))}`));
                return done;
              };
              if (check()) return;
              const waiter = (): void => {
                if (check()) {
                  waiters.delete(waiter);
                  clearTimeout(timer);
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(waiter);
                fail(new Error(`no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
              }, timeoutMs);
              waiters.add(waiter);
            });
          },
          close() {
            req.destroy();
          },
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
