/**
 * The adaptive budget on a real kube-apiserver 1.32.6: the gateway reads the apiserver's own
 * `process_resident_memory_bytes` from its /metrics (the number the kernel's OOM killer weighs), lowers
 * the effective budget while it is above the ceiling — so a LIST that fitted the configured budget gets a
 * 429 — and gives the budget back, step by step, once a reload raises the ceiling above it. While memory
 * no lease explains holds the budget back, it asks the apiserver for garbage collections, which free it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GO_KEPT_HEAP_METRICS, heapSlack, readMetrics } from '../../src/admit/adaptive-budget.js';
import { seedSecrets } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';

const MIB = 1024 ** 2;
const BUDGET = 256 * MIB;
const MINIMUM = 16 * MIB;

/** The apiserver's resident memory as the kernel reports it. */
function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

let kube: KubeApiserver;
before(async () => {
  kube = await startKubeApiserver();
  // ~40 MiB of Secrets: a consistent LIST priced well above the minimum, well below the budget.
  await seedSecrets(kube, { namespace: 'default', count: 40, dataBytes: 700 * 1024 });
});
after(() => kube?.stop());

/** A sample of the gateway's ops /metrics (a label set like `{outcome="collected"}` included in the name). */
async function gatewayMetric(gw: GatewayOnApiserver, name: string): Promise<number> {
  const text = await (await fetch(`${gw.opsUrl}/metrics`)).text();
  const escaped = name.replace(/[{}"]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (let i = 0; i < ms / 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not within ${ms / 1000} s`);
}

describe('the adaptive budget on kube-apiserver 1.32.6', () => {
  let gw: GatewayOnApiserver;
  const gauge = (name: string) => gatewayMetric(gw, name);

  before(async () => {
    gw = await startGatewayOnApiserver(kube, {
      overrides: {
        admission: {
          budget: '256Mi',
          smallRequestBytes: '64Ki',
          // What is under test is the budget's answer to a whole LIST (429), not serving it in pages.
          offload: 'off',
          // A ceiling below any apiserver's resting memory: the budget falls to the minimum.
          adaptive: { enabled: true, ceiling: '1Mi', minimum: '16Mi', interval: '100ms', recoveryFraction: 0.25, collect: false },
          flowSchemas: [{ name: 'everyone', level: 'catch-all', subjects: { groups: ['system:authenticated'] } }],
          levels: [{ name: 'catch-all', share: 1, queue: { length: 8, lengthPerFlow: 8, maxWait: '0s' } }],
        },
      },
    });
  });
  after(() => gw?.close());

  it("reads the apiserver's resident memory and lowers the budget while it is above the ceiling", async () => {
    await until('the effective budget falls to the minimum', async () => (await gauge('listgate_admission_effective_budget_bytes')) === MINIMUM);
    const seen = await gauge('listgate_admission_upstream_memory_bytes');
    const rss = rssOf(kube.pid());
    assert.ok(Math.abs(seen / rss - 1) < 0.25, `the gateway read ${seen} B, the kernel says the apiserver holds ${rss} B`);
    const list = await gw.request('/api/v1/namespaces/default/secrets', kube.admin);
    assert.equal(list.status, 429, `a LIST of ~40 MiB does not fit a 16 MiB budget: ${list.text.slice(0, 300)}`);
    assert.equal((list.json as { kind?: string }).kind, 'Status');
  });

  it('gives the budget back step by step once the apiserver is below the ceiling, and the LIST passes', async () => {
    gw.reload({ admission: { adaptive: { ceiling: '64Gi' } } });
    const steps = new Set<number>();
    await until('the effective budget recovers', async () => {
      const now = await gauge('listgate_admission_effective_budget_bytes');
      steps.add(now);
      return now === BUDGET;
    });
    assert.ok([...steps].some((b) => b > MINIMUM && b < BUDGET), `recovered through intermediate steps: ${[...steps].join(', ')}`);
    const list = await gw.request('/api/v1/namespaces/default/secrets', kube.admin);
    assert.equal(list.status, 200, list.text.slice(0, 300));
  });
});

describe('garbage collections the adaptive budget asks of kube-apiserver 1.32.6', () => {
  let gw: GatewayOnApiserver;
  const collected = () => gatewayMetric(gw, 'listgate_admission_upstream_collections_total{outcome="collected"}');
  /** The apiserver's memory in use: resident less the freed heap Go keeps, as the adaptive budget reads it. */
  const apiserverHeld = async (): Promise<{ held: number; alloc: number; forced: number }> => {
    const text = (await kube.request('/metrics')).text;
    const values = readMetrics(text, ['process_resident_memory_bytes', 'go_memstats_heap_alloc_bytes', 'go_gc_cycles_forced_gc_cycles_total', ...GO_KEPT_HEAP_METRICS]);
    return { held: values.get('process_resident_memory_bytes')! - heapSlack(values), alloc: values.get('go_memstats_heap_alloc_bytes')!, forced: values.get('go_gc_cycles_forced_gc_cycles_total')! };
  };

  before(async () => {
    gw = await startGatewayOnApiserver(kube, {
      overrides: {
        admission: {
          budget: '256Mi',
          // A ceiling below the apiserver's resting memory: the budget is always held back, so a collection
          // is asked for whenever the apiserver holds 64 MiB more than it rests at, 10 s apart at most.
          adaptive: { enabled: true, ceiling: '1Mi', minimum: '16Mi', interval: '100ms', collect: true, collectInterval: '10s' },
        },
      },
    });
  });
  after(() => gw?.close());

  it('asks once the apiserver holds garbage of LISTs no lease explains, and the apiserver frees it', async () => {
    await until('the first collection (nothing known of what the apiserver holds after one)', async () => (await collected()) >= 1, 20_000);
    const first = await apiserverHeld();
    // Four LISTs of ~40 MiB straight to the apiserver, at once after the first collection (the next is
    // 10 s after it at the earliest): their buffers and garbage stay in its heap.
    const lists = await Promise.all([1, 2, 3, 4].map(() => kube.request('/api/v1/namespaces/default/secrets')));
    assert.deepEqual(lists.map((l) => l.status), [200, 200, 200, 200]);
    const ended = await apiserverHeld();
    assert.equal(await collected(), 1, 'no collection within the interval');
    // Go collects an idle server's heap every two minutes, and a sync.Pool's buffers only at the second
    // collection: what frees it within seconds is the gateway's asking.
    let now = ended;
    await until(
      'a collection asked for since the LISTs ended, and their garbage freed',
      async () => {
        now = await apiserverHeld();
        return now.forced >= ended.forced + 2 && now.alloc < ended.alloc - 100 * MIB;
      },
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: heap allocated ${Math.round(first.alloc / MIB)} MiB after the first collection, ${Math.round(ended.alloc / MIB)} MiB as the LISTs ended, ${Math.round(now.alloc / MIB)} MiB now; forced collections ${first.forced} → ${ended.forced} → ${now.forced}`);
    });
    assert.ok(now.held < ended.held - 64 * MIB, `the memory in use falls with it: ${Math.round(ended.held / MIB)} → ${Math.round(now.held / MIB)} MiB`);
    assert.equal(await collected(), 2, 'counted in listgate_admission_upstream_collections_total');
  });
});
