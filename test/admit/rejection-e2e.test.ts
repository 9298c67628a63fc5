/**
 * The 429 as clients receive it through the gateway, against a simulator that serves streaming lists
 * (the WatchList gate on) and one that does not (off: 1.33's default, probed as 422):
 *   - a LIST that does not fit now: 429, an integer Retry-After equal to details.retryAfterSeconds, the
 *     estimate and the budget in the cause, the streaming hint (for a client-go program: its
 *     WatchListClient feature) in a `Warning: 299 - "…"`; the next rejected client is told a later
 *     second (staggered);
 *   - a LIST that can never fit: 429 without Retry-After, saying how to stream or paginate; kubectl
 *     gives up at once with the message instead of retrying, and is told its own flag (--chunk-size)
 *     and, for `get --raw`, the `limit` whose page is then served;
 *   - an admitted LIST above warningBytes carries the Warning; the lease it holds is released when its
 *     client goes away mid-response.
 * Budgets are set through hot reload of the stack's listgate.yaml, from the estimate the gateway reports.
 */
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { readFile } from 'node:fs/promises';
import { WATCH_LIST_CLIENT_HINT } from '../../src/admit/list-hints.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually, fetchText, metric, rawGet, userAgent } from './support/admission-stack.js';

const admission = (budget: number) => ({
  budget,
  smallRequestBytes: '1Ki',
  warningBytes: '1Ki',
  initialHoldTime: '2s',
  // The 429 itself is under test: LISTs that do not fit are not offloaded (test/offload/ covers that).
  offload: 'off',
  levels: [
    { name: 'exempt', exempt: true },
    { name: 'catch-all', share: 0.5, queue: { length: 0, lengthPerFlow: 0, maxWait: '0s' } },
  ],
  flowSchemas: [
    { name: 'exempt', level: 'exempt', subjects: { groups: ['system:masters'] } },
    { name: 'catch-all', level: 'catch-all' },
  ],
});

/** Rewrites the stack's config with a new admission section (atomically) and waits until it is applied. */
async function reloadBudget(stack: E2EStack, budget: number): Promise<void> {
  const doc = parse(await readFile(stack.configPath, 'utf8')) as Record<string, unknown>;
  doc.admission = admission(budget);
  await writeFile(`${stack.configPath}.tmp`, stringify(doc));
  await rename(`${stack.configPath}.tmp`, stack.configPath);
  assert.equal(await eventually(() => metric(stack.opsUrl, 'listgate_admission_budget_bytes'), budget, 10_000), budget, 'the new budget applied');
}

interface EstimateReport {
  estimatedBytes: number;
  objects: number;
  decision: string;
  decisionReasons: string[];
}

async function estimateOf(stack: E2EStack, path: string): Promise<EstimateReport> {
  return JSON.parse(await fetchText(`${stack.opsUrl}/debug/estimate?path=${encodeURIComponent(path)}&user=jane&group=developers`)) as EstimateReport;
}

interface Status {
  kind: string;
  apiVersion: string;
  metadata: object;
  status: string;
  message: string;
  reason: string;
  code: number;
  details: { kind?: string; retryAfterSeconds?: number; causes?: Array<{ reason: string; message: string }> };
}

/** What a client-go program sends (rest.DefaultKubernetesUserAgent): its hint is the WatchListClient feature. */
const CLIENT_GO = { 'User-Agent': 'listgate-e2e/v0.0.0 (linux/amd64) kubernetes/0000000' };
const STREAMING_HINT = WATCH_LIST_CLIENT_HINT;

describe('the 429 through the gateway, upstream serving streaming lists', () => {
  let stack: E2EStack;
  before(async () => {
    // The cold estimates below need the object size metric of 1.34+: the simulator runs its 1.34 profile.
    stack = await startE2EStack({ seed: { secrets: 40, secretSize: 256 * 1024, namespaces: 2, configmaps: 0, pods: 0 }, admission: admission(8 * 1024 ** 3), version: '1.34' });
  });
  after(async () => {
    await stack.close();
  });

  it('Retry-After, Status and Warning as specified; staggered; can-never-fit; the Warning on an admitted LIST', async () => {
    const report = await estimateOf(stack, '/api/v1/secrets');
    const E = report.estimatedBytes;
    assert.ok(E > 1024 ** 2, `estimate ${E}`);
    // listgate estimate / GET /debug/estimate: admission's dry run.
    assert.equal(report.decision, 'admitted');
    assert.equal(report.decisionReasons[0], 'flow schema catch-all → priority level catch-all, flow user:jane');
    const budget = Math.floor(1.5 * E);
    await reloadBudget(stack, budget);
    const agent = userAgent(stack);

    // One LIST admitted and held: its client reads nothing, so the response (and the lease) stays open.
    const held = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${stack.gatewayUrl}/api/v1/secrets`, { agent: userAgent(stack, 'user', 1), headers: CLIENT_GO }, (res) => {
        res.pause();
        resolve(res);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(held.statusCode, 200);
    assert.equal(held.headers.warning, `299 - "listgate: this LIST of secrets is estimated to hold ${formatted(E)} of apiserver memory; ${STREAMING_HINT}"`);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_in_use_bytes'), E);

    const first = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, agent, { headers: CLIENT_GO });
    const second = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, agent, { headers: CLIENT_GO });
    for (const r of [first, second]) {
      assert.equal(r.status, 429);
      assert.match(String(r.headers['retry-after']), /^\d+$/);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers.warning, `299 - "listgate: ${STREAMING_HINT}"`);
      assert.ok(r.headers['audit-id']);
    }
    const retryAfter = Number(first.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 32, `Retry-After ${retryAfter}`);
    assert.ok(Number(second.headers['retry-after']) > retryAfter, `staggered: ${retryAfter} then ${second.headers['retry-after']}`);
    const status = JSON.parse(first.body) as Status;
    assert.deepEqual(
      { kind: status.kind, apiVersion: status.apiVersion, metadata: status.metadata, status: status.status, reason: status.reason, code: status.code },
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429 },
    );
    assert.equal(status.details.kind, 'secrets');
    assert.equal(status.details.retryAfterSeconds, retryAfter);
    assert.equal(
      status.message,
      `Too many requests: this LIST of secrets (estimated ${formatted(E)} of apiserver memory) does not fit now and the queue is full (priority level catch-all); retry after ${retryAfter}s, or ${STREAMING_HINT}`,
    );
    assert.equal(status.details.causes?.length, 1);
    assert.equal(status.details.causes?.[0]?.reason, 'EstimatedMemoryOverBudget');
    assert.match(status.details.causes![0]!.message, new RegExp(`^estimated apiserver memory ${E} bytes \\(.+\\) for 40 objects; budget ${budget} bytes \\(.+\\); priority level catch-all may hold ${budget} bytes .*in use ${E} bytes`));

    // The held client goes away mid-response: its lease comes back.
    held.destroy();
    assert.equal(await eventually(() => metric(stack.opsUrl, 'listgate_admission_in_use_bytes'), 0), 0);

    // A budget the LIST can never fit: no Retry-After, how to stream or paginate, and kubectl does not spin.
    await reloadBudget(stack, Math.floor(0.5 * E));
    const dry = await estimateOf(stack, '/api/v1/secrets');
    assert.equal(dry.decision, 'rejected');
    assert.equal(dry.decisionReasons.at(-1), 'would be answered 429 (too_large)');
    const never = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, agent, { headers: CLIENT_GO });
    assert.equal(never.status, 429);
    assert.equal(never.headers['retry-after'], undefined);
    const neverStatus = JSON.parse(never.body) as Status;
    assert.equal(neverStatus.details.retryAfterSeconds, undefined);
    assert.match(neverStatus.message, new RegExp(`it will never be admitted as it is: ${escape(STREAMING_HINT)}; or paginate with limit=\\d+ and follow metadata\\.continue`));
    assert.equal(never.headers.warning, `299 - "listgate: ${STREAMING_HINT}"`);
    const started = Date.now();
    const kubectl = await stack.kubectl(['get', 'secrets', '-A']);
    assert.notEqual(kubectl.code, 0);
    assert.match(kubectl.stderr, /TooManyRequests|Too many requests|never be admitted/);
    assert.match(kubectl.stderr, /kubectl get --chunk-size=\d+/, 'kubectl is told its own flag');
    assert.doesNotMatch(kubectl.stderr, /WatchListClient/);
    assert.ok(Date.now() - started < 10_000, 'kubectl gave up at once instead of retrying');
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_streaming_lists'), 1);
    agent.destroy();
  });
});

/** 10 secrets of 64 KiB: the whole LIST (~2 MiB from the watch cache) never fits 1.2 MiB; pages read from etcd do. */
const BUDGET_B = Math.floor(1.2 * 1024 ** 2);

describe('the 429 through the gateway, upstream without streaming lists (422)', () => {
  let stack: E2EStack;
  before(async () => {
    // As above: cold estimates from the 1.34 size metric.
    stack = await startE2EStack({ seed: { secrets: 10, secretSize: 64 * 1024, namespaces: 1, configmaps: 0, pods: 0 }, watchList: false, admission: admission(BUDGET_B), version: '1.34' });
  });
  after(async () => {
    await stack.close();
  });

  it('offers pagination with a limit that fits, never a streaming list', async () => {
    assert.ok((await estimateOf(stack, '/api/v1/secrets')).estimatedBytes > BUDGET_B, 'the whole LIST can never fit');
    const agent = userAgent(stack);
    const r = await rawGet(`${stack.gatewayUrl}/api/v1/secrets`, agent);
    agent.destroy();
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], undefined);
    // No User-Agent: a client of unknown kind is told pagination in plain HTTP terms.
    const m = /^299 - "listgate: paginate with limit=(\d+) and follow metadata\.continue"$/.exec(String(r.headers.warning));
    assert.ok(m, `Warning: ${r.headers.warning}`);
    const limit = Number(m[1]);
    assert.ok(limit >= 1 && limit < 10, `limit ${limit}`);
    assert.doesNotMatch(r.body, /sendInitialEvents/);
    assert.equal(await metric(stack.opsUrl, 'listgate_admission_streaming_lists'), 0, 'probed: the upstream answered 422');
    // A page of that size is admitted.
    const page = await rawGet(`${stack.gatewayUrl}/api/v1/secrets?limit=${limit}`, userAgent(stack));
    assert.equal(page.status, 200);
  });

  it('kubectl get --raw is told, in its own words, the flag and the limit that work', async () => {
    const raw = await stack.kubectl(['get', '--raw', '/api/v1/secrets']);
    assert.notEqual(raw.code, 0);
    assert.match(raw.stderr, /Error from server \(TooManyRequests\)/);
    // kubectl prints the Warning header as `Warning: TEXT`, and the Status message after the error.
    const warned = /^Warning: listgate: list in smaller pages: kubectl get --chunk-size=(\d+) \(kubectl get pages by default, 500 objects a page; kubectl get --raw does not page: add \?limit=\1 to its path and follow metadata\.continue\)$/m.exec(raw.stderr);
    assert.ok(warned, `the kubectl wording in the Warning:\n${raw.stderr}`);
    assert.match(raw.stderr, new RegExp(`never be admitted as it is: list in smaller pages: kubectl get --chunk-size=${warned[1]} `));
    assert.doesNotMatch(raw.stderr, /sendInitialEvents|WatchListClient|client-go/);
    // What it says for --raw works: the page with that limit is served, with a continue token.
    const page = await stack.kubectl(['get', '--raw', `/api/v1/secrets?limit=${warned[1]}`]);
    assert.equal(page.code, 0, page.stderr);
    const list = JSON.parse(page.stdout) as { items: unknown[]; metadata: { continue?: string } };
    assert.equal(list.items.length, Number(warned[1]));
    assert.ok(list.metadata.continue, 'a continue token for the next page');
  });
});

function formatted(bytes: number): string {
  const units: Array<[string, number]> = [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`;
    }
  }
  return String(Math.round(bytes));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
