/**
 * docs/metrics.md documents exactly the `listgate_` metrics the gateway registers, each with its type and
 * labels, so a component that adds a metric cannot forget to say what it means (and the page cannot
 * list a metric that no longer exists).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../support/gateway-fixture.js';
import { createGatewayTestPki, type GatewayTestPki } from '../support/gateway-pki.js';

interface DocumentedMetric {
  type: string;
  labels: string[];
  meaning: string;
}

/** The rows of the table: | `name` | type | `a`, `b` | meaning | */
function documentedMetrics(markdown: string): Map<string, DocumentedMetric> {
  const rows = new Map<string, DocumentedMetric>();
  for (const line of markdown.split('\n')) {
    const m = /^\| `(listgate_\w+)` \| (\w+) \|([^|]*)\| (.+) \|$/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`(\w+)`/g)].map((l) => l[1]!);
    rows.set(m[1]!, { type: m[2]!, labels, meaning: m[4]! });
  }
  return rows;
}

describe('docs/metrics.md', () => {
  let pki: GatewayTestPki;
  let gateway: TestGateway;
  before(async () => {
    pki = createGatewayTestPki();
    // The routing webhook on too, so its metrics are registered with the others.
    writeFileSync(join(pki.dir, 'gateway-ca.crt'), pki.gatewayCa.certPem);
    const webhook = { enabled: true, listen: { port: 0 }, gateway: { host: 'listgate.listgate.svc', caFile: 'gateway-ca.crt' } };
    // A shared budget too (its Redis unreachable: the replica falls back), so its metrics are registered.
    const admission = { sharedBudget: { address: '127.0.0.1:1' } };
    gateway = await startTestGateway({ pki, upstreamUrl: 'https://127.0.0.1:1', logLevel: 'silent', webhook, admission });
  });
  after(async () => {
    await gateway.close();
    pki.cleanup();
  });

  it('documents every listgate_ metric the app registers, with its type and labels, and nothing else', async () => {
    const documented = documentedMetrics(readFileSync('docs/metrics.md', 'utf8'));
    const registered = (await gateway.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('listgate_'));
    assert.ok(registered.length >= 5, 'the app registers its metrics');
    for (const metric of registered) {
      const doc = documented.get(metric.name);
      assert.ok(doc, `${metric.name} is not documented in docs/metrics.md`);
      assert.equal(doc.type, String(metric.type), `${metric.name}: documented type`);
      const single = gateway.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] };
      assert.deepEqual([...doc.labels].sort(), [...(single.labelNames ?? [])].sort(), `${metric.name}: documented labels`);
      assert.ok(doc.meaning.length > 40, `${metric.name}: say what it means`);
    }
    const names = new Set(registered.map((m) => m.name));
    assert.deepEqual([...documented.keys()].filter((n) => !names.has(n)), [], 'documented but not registered');
  });

  it('uses base units and the listgate_ prefix for every gateway metric', async () => {
    const names = (await gateway.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !/^(process|nodejs)_/.test(n));
    for (const name of names) {
      assert.match(name, /^listgate_/);
      assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb|kib|mib)(_|$)/, `${name}: base units`);
    }
  });
});
