/**
 * What one LIST costs a real kube-apiserver, and what the gateway priced it at: the apiserver's memory
 * settled (kube-settle.ts), the cgroup's peak reset, the LIST sent through the gateway alone (its body
 * counted, never kept), then the peak read: rise = peak − settled usage, what the kernel charged on top.
 * That depends on how much freed heap earlier requests left behind (kube-settle.ts): the Go runtime hands
 * it out again before the kernel charges anything. So the memory in use (usage − that slack) is also
 * sampled from the apiserver's /metrics while the LIST runs: held = its highest sample − its settled
 * value, what the LIST held whatever came before; factor = held ÷ response bytes. The gateway's
 * estimate comes from its request line for that LIST (gateway-log.ts). A 429 is
 * retried after its Retry-After. A page's `continue` token is read from the list's metadata, so a
 * paginated LIST is measured page by page.
 */
import type { Agent } from 'node:https';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import { opsGet } from './bench-stack.js';
import { readRequestLines, type RequestLine } from './gateway-log.js';
import { fetchOnce, type Target } from './https-client.js';
import { sampleInUse, settleKubeMemory } from './kube-settle.js';

export interface ListRise {
  mode: string;
  path: string;
  /** 0 for a whole LIST, 1… for the pages of a paginated one. */
  page: number;
  responseBytes: number;
  baselineBytes: number;
  peakBytes: number;
  /** peak − settled usage. */
  riseBytes: number;
  /** Free heap the Go runtime kept at the settled baseline (undefined: its /metrics did not say). */
  slackBytes: number | undefined;
  /** The highest memory in use sampled during the LIST − the settled memory in use, at least the rise. */
  heldBytes: number;
  /** /metrics samples taken during the LIST. */
  inUseSamples: number;
  /** held ÷ response bytes. */
  factor: number;
  /** The gateway's estimate for this LIST (what admission leased), when its line was found. */
  estimatedBytes: number | undefined;
  estimatedResponseBytes: number | undefined;
  /** estimate ÷ held. */
  estimateVsHeld: number | undefined;
  /** estimate ÷ rise. */
  estimateVsRise: number | undefined;
  seconds: number;
  tooManyRequests: number;
  settledInMs: number;
  /** The gateway's /debug/estimate for the same request just before it was sent: why it priced it so. */
  explained: Explained | undefined;
}

export interface Explained {
  estimatedBytes: number;
  confidence: string;
  sources: unknown;
  reasons: string[];
}

export interface ListRiseOptions {
  kube: Pick<KubeApiserver, 'request' | 'cgroup'>;
  target: Target;
  agent: Agent;
  mode: string;
  path: string;
  accept?: string;
  page?: number;
  /** The gateway's log and ops port, and the user the LIST is sent as (to find its request line). */
  gatewayLog: string;
  opsPort: number;
  user: string;
  groups: readonly string[];
  settle: { intervalMs: number; maxMs: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function requestLine(log: string, user: string, since: number, ok = true): Promise<RequestLine | undefined> {
  for (let i = 0; i < 20; i++) {
    const line = (await readRequestLines(log)).reverse().find((l) => l.user === user && l.verb === 'list' && (!ok || l.code === 200) && l.arrivedAt >= since - 50);
    if (line) return line;
    await sleep(100);
  }
  return undefined;
}

function describeLine(l: RequestLine | undefined): string {
  if (!l) return '';
  return `; the gateway's request line: code ${l.code}${l.error ? `, ${l.error}` : ''}, ${l.bytes ?? 0} bytes sent, ${((l.durationMs ?? 0) / 1000).toFixed(1)} s`;
}

async function explain(o: ListRiseOptions): Promise<Explained | undefined> {
  const query = new URLSearchParams({ path: o.path, user: o.user, accept: o.accept ?? 'application/json' });
  for (const g of o.groups) query.append('group', g);
  const res = await opsGet(o.opsPort, `/debug/estimate?${query.toString()}`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  const r = JSON.parse(res.body) as Explained;
  return { estimatedBytes: r.estimatedBytes, confidence: r.confidence, sources: r.sources, reasons: r.reasons };
}

export async function measureListRise(o: ListRiseOptions): Promise<ListRise & { continueToken: string | undefined }> {
  const cgroup = o.kube.cgroup!;
  const settled = await settleKubeMemory(o.kube, o.settle);
  const explained = await explain(o);
  let tooManyRequests = 0;
  for (;;) {
    cgroup.resetPeak();
    const baselineBytes = Math.min(settled.baselineBytes, cgroup.usage());
    const since = Date.now();
    const inUse = sampleInUse(o.kube, 200);
    const res = await fetchOnce({ target: o.target, path: o.path, agent: o.agent, headers: o.accept ? { Accept: o.accept } : {}, keepBytes: 8192 }).catch(async (err: unknown) => {
      await inUse.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)} after ${((Date.now() - since) / 1000).toFixed(0)} s${describeLine(await requestLine(o.gatewayLog, o.user, since, false))}`);
    });
    const sampled = await inUse.stop();
    const peakBytes = cgroup.peak();
    if (res.status === 429 && tooManyRequests < 10) {
      tooManyRequests += 1;
      await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
      continue;
    }
    if (res.status !== 200) throw new Error(`GET ${o.path} through ${o.target.name} answered ${res.status}: ${res.head.toString('utf8').slice(0, 300)}`);
    const line = await requestLine(o.gatewayLog, o.user, since);
    const riseBytes = Math.max(0, peakBytes - baselineBytes);
    const settledInUse = settled.slackBytes !== undefined ? settled.baselineBytes - settled.slackBytes : undefined;
    // What the kernel charged on top was held too (the free heap only shrinks): the rise is a floor for a
    // LIST that ended between two samples.
    const heldBytes = Math.max(riseBytes, sampled.peakBytes !== undefined && settledInUse !== undefined ? sampled.peakBytes - settledInUse : 0);
    const estimatedBytes = line?.estimatedBytes;
    return {
      mode: o.mode,
      path: o.path,
      page: o.page ?? 0,
      responseBytes: res.bytes,
      baselineBytes,
      peakBytes,
      riseBytes,
      slackBytes: settled.slackBytes,
      heldBytes,
      inUseSamples: sampled.samples,
      factor: heldBytes / res.bytes,
      estimatedBytes,
      estimatedResponseBytes: line?.estimatedResponseBytes,
      estimateVsHeld: estimatedBytes !== undefined && heldBytes > 0 ? estimatedBytes / heldBytes : undefined,
      estimateVsRise: estimatedBytes !== undefined && riseBytes > 0 ? estimatedBytes / riseBytes : undefined,
      seconds: res.totalMs / 1000,
      tooManyRequests,
      settledInMs: settled.waitedMs,
      explained,
      // JSON lists only: a protobuf page's token is not looked for (the pages are measured as JSON).
      continueToken: /"continue":"([^"]+)"/.exec(res.head.toString('latin1'))?.[1],
    };
  }
}
