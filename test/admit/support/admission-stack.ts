/**
 * Helpers for admission's end-to-end tests on the demo stack: the gateway's ops /metrics read as
 * numbers, a sampler of the leased bytes, and HTTPS clients as the demo user or the admin.
 */
import { get } from 'node:http';
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { parseMetricsText } from '../../../src/estimate/prometheus-text.js';
import type { DemoStack } from '../../../src/cli/demo-stack.js';

export function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The sum of a metric's samples whose labels include `labels`. */
export async function metric(opsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const samples = parseMetricsText(await fetchText(`${opsUrl}/metrics`)).samples;
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Samples the bytes leased (all levels) every `everyMs` until stopped; resolves with the highest seen. */
export function sampleLeases(opsUrl: string, everyMs = 50): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await metric(opsUrl, 'listgate_admission_in_use_bytes'));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

/** Polls until `read()` equals `want` (or the time is up); returns the last value read. */
export async function eventually(read: () => Promise<number>, want: number, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}

export function userAgent(stack: DemoStack, who: 'user' | 'admin' = 'user', maxSockets = 32): Agent {
  const pair = who === 'user' ? stack.pki.user : stack.pki.admin;
  return new Agent({ keepAlive: true, maxSockets, ca: stack.pki.ca.certPem, cert: pair.certPem, key: pair.keyPem });
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One GET; the body as text (kept whole: for small answers such as a Status). `headers` adds to Accept (e.g. a User-Agent). */
export function rawGet(url: string, agent: Agent, opts: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { Accept: 'application/json', ...opts.headers }, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
