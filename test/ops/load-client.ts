/**
 * Steady non-watch traffic over several gateways, behaving like a client behind a Kubernetes Service:
 * it sends to the gateways whose /readyz answers 200 (polled, like endpoint readiness), moves to another
 * gateway when a connection is refused, and retries an idempotent GET whose reused keep-alive connection
 * was closed under it before any response (what Go's transport and Node's docs prescribe). Anything else
 * — an error, a reset mid-response, a status other than 200 — is a failed request.
 */
import { Agent, request } from 'node:https';

export interface Target {
  name: string;
  port: number;
  opsPort: number;
}

export interface LoadStats {
  ok: number;
  failures: string[];
  /** Attempts moved to another gateway after ECONNREFUSED. */
  refused: number;
  /** Attempts retried after a reused connection closed before answering. */
  staleConnection: number;
  perTarget: Record<string, number>;
}

export interface Load {
  stats: LoadStats;
  /** One request sent to `first` whatever its readiness, moving on when refused; resolves with who served it. */
  sendVia(first: string, path: string): Promise<string>;
  /** Swaps in a restarted target (same name, possibly new ports). */
  replace(target: Target): void;
  stop(): Promise<void>;
}

type Attempt = { ok: true } | { ok: false; retry: 'refused' | 'stale' } | { ok: false; failure: string };

function attempt(target: Target, agent: Agent, ca: string, path: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: target.port, path, ca, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        if (!res.complete) resolve({ ok: false, failure: `${target.name} ${path}: truncated after ${bytes} bytes` });
        else if (res.statusCode !== 200) resolve({ ok: false, failure: `${target.name} ${path}: ${res.statusCode}` });
        else resolve({ ok: true });
      });
      res.on('error', (err) => resolve({ ok: false, failure: `${target.name} ${path}: ${err.message} mid-response` }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') return resolve({ ok: false, retry: 'refused' });
      if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return resolve({ ok: false, retry: 'stale' });
      resolve({ ok: false, failure: `${target.name} ${path}: ${err.code ?? err.message}` });
    });
    req.end();
  });
}

export function startLoad(opts: { targets: Target[]; ca: string; paths: string[]; workers: number }): Load {
  const targets = new Map(opts.targets.map((t) => [t.name, t]));
  const ready = new Map<string, boolean>();
  const agents = new Map<string, Agent>();
  const agentFor = (name: string) => {
    let agent = agents.get(name);
    if (!agent) agents.set(name, (agent = new Agent({ keepAlive: true, maxSockets: 4 })));
    return agent;
  };
  const stats: LoadStats = { ok: 0, failures: [], refused: 0, staleConnection: 0, perTarget: {} };
  let running = true;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const poll = async () => {
    while (running) {
      await Promise.all(
        [...targets.values()].map(async (t) => {
          try {
            ready.set(t.name, (await fetch(`http://127.0.0.1:${t.opsPort}/readyz`, { signal: AbortSignal.timeout(500) })).status === 200);
          } catch {
            ready.set(t.name, false);
          }
        }),
      );
      await sleep(100);
    }
  };

  let turn = 0;
  const worker = async (n: number) => {
    for (let i = 0; running; i++) {
      const path = opts.paths[(i + n) % opts.paths.length]!;
      for (let tries = 0, waits = 0; ; ) {
        const candidates = [...targets.values()].filter((t) => ready.get(t.name));
        if (tries > 50 || waits > 500) {
          stats.failures.push(`${path}: no gateway took it (${tries} tries, ${waits} waits)`);
          break;
        }
        if (candidates.length === 0) {
          waits++;
          await sleep(20);
          continue;
        }
        tries++;
        const target = candidates[turn++ % candidates.length]!;
        const result = await attempt(target, agentFor(target.name), opts.ca, path);
        if (result.ok) {
          stats.ok++;
          stats.perTarget[target.name] = (stats.perTarget[target.name] ?? 0) + 1;
          break;
        }
        if ('failure' in result) {
          stats.failures.push(result.failure);
          break;
        }
        if (result.retry === 'refused') {
          stats.refused++;
          ready.set(target.name, false);
        } else {
          stats.staleConnection++;
        }
      }
    }
  };

  const loops = [poll(), ...Array.from({ length: opts.workers }, (_, n) => worker(n))];
  return {
    stats,
    async sendVia(first, path) {
      const order = [targets.get(first)!, ...[...targets.values()].filter((t) => t.name !== first)];
      for (const target of order) {
        const result = await attempt(target, agentFor(target.name), opts.ca, path);
        if (result.ok) return target.name;
        if ('failure' in result) throw new Error(result.failure);
        if (result.retry === 'refused') stats.refused++;
      }
      throw new Error(`no gateway answered ${path}`);
    },
    replace(target) {
      targets.set(target.name, target);
      agents.get(target.name)?.destroy();
      agents.delete(target.name);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents.values()) agent.destroy();
    },
  };
}
