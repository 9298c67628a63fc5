/**
 * The adaptive budget on a real kube-apiserver 1.32.6: the gateway reads the apiserver's own
 * `process_resident_memory_bytes` from its /metrics (the number the kernel's OOM killer weighs), lowers
 * the effective budget while it is above the ceiling — so a LIST that fitted the configured budget gets a
 * 429 — and gives the budget back, step by step, once a reload raises the ceiling above it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
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

describe('the adaptive budget on kube-apiserver 1.32.6', () => {
  let kube: KubeApiserver;
  let gw: GatewayOnApiserver;
  const gauge = async (name: string): Promise<number> => {
    const text = await (await fetch(`${gw.opsUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  };
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${what}: not within 10 s`);
  };

  before(async () => {
    kube = await startKubeApiserver();
    // ~40 MiB of Secrets: a consistent LIST priced well above the minimum, well below the budget.
    await seedSecrets(kube, { namespace: 'default', count: 40, dataBytes: 700 * 1024 });
    gw = await startGatewayOnApiserver(kube, {
      overrides: {
        admission: {
          budget: '256Mi',
          smallRequestBytes: '64Ki',
          // What is under test is the budget's answer to a whole LIST (429), not serving it in pages.
          offload: 'off',
          // A ceiling below any apiserver's resting memory: the budget falls to the minimum.
          adaptive: { enabled: true, ceiling: '1Mi', minimum: '16Mi', interval: '100ms', recoveryFraction: 0.25 },
          flowSchemas: [{ name: 'everyone', level: 'catch-all', subjects: { groups: ['system:authenticated'] } }],
          levels: [{ name: 'catch-all', share: 1, queue: { length: 8, lengthPerFlow: 8, maxWait: '0s' } }],
        },
      },
    });
  });
  after(async () => {
    await gw?.close();
    await kube?.stop();
  });

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
