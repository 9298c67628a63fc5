/**
 * `listgate estimate` as an operator runs it (the built CLI in its own process): against the running
 * gateway (its learned sizes and census, through /debug/estimate), and — when the gateway is not
 * reachable — with a fresh estimator from the config file against the upstream directly, saying so.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../ops/gateway-process.js';
import { eventually } from '../support/gateway-fixture.js';
import { startWiringStack, type WiringStack } from './wiring-stack.js';

const CLI = resolve('dist/src/cli.js');

function listgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('listgate estimate', () => {
  let stack: WiringStack;
  let opsUrl: string;
  before(async () => {
    stack = await startWiringStack();
    opsUrl = `http://127.0.0.1:${stack.opsPort}`;
    await eventually(() => stack.censusRequests().includes('/metrics'), 5000, 'the first census scrape');
    // Teach the gateway the size of secrets: a whole LIST through it.
    assert.equal((await stack.send('/api/v1/namespaces/ns-0/secrets')).status, 200);
  });
  after(async () => stack.close());

  const json = async (args: string[]) => {
    const run = await listgate(['estimate', '--config', stack.configPath, '-o', 'json', ...args]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Record<string, unknown> & { sources: Record<string, unknown>; factors: Record<string, unknown>; request: Record<string, unknown>; notes: string[] };
  };

  it('-o json from the running gateway: objects, sizes, bytes, factors, decision and why', async () => {
    const r = await json(['--ops-url', opsUrl, '--as', 'jane', '--group', 'dev', '/api/v1/namespaces/ns-0/secrets']);
    assert.equal(r.via, 'gateway');
    assert.match(r.notes[0]!, /running gateway/);
    assert.deepEqual(r.request, { method: 'GET', path: '/api/v1/namespaces/ns-0/secrets', accept: 'application/json', user: 'jane', groups: ['dev', 'system:authenticated'] });
    assert.equal(r.class, 'list');
    assert.equal(r.objects, 10);
    assert.ok(['response', 'probe'].includes(String(r.sources.count)), `a namespace count: ${String(r.sources.count)}`);
    assert.equal(typeof r.sources.countAgeSeconds, 'number');
    assert.equal(r.sources.size, 'resource', 'the size learned from the LIST that went through');
    assert.ok(Number(r.averageObjectBytes) > 1024, 'secrets carry 1 KiB payloads');
    assert.ok(Number(r.responseBytes) >= 10 * Number(r.averageObjectBytes));
    assert.ok(Number(r.estimatedBytes) > Number(r.responseBytes));
    assert.equal(r.factors.profile, '1.31');
    assert.equal(r.factors.upstreamVersion, '1.32');
    // Admission's dry run when admission is wired in; until then, the estimator says it is not configured.
    assert.ok(['admission not configured', 'admitted', 'queued', 'rejected', 'exempt'].includes(String(r.decision)), String(r.decision));
    assert.ok(Array.isArray(r.decisionReasons) && Array.isArray(r.reasons) && (r.reasons as string[]).length >= 4);
  });

  it('without a reachable gateway: a fresh estimator against the upstream, and it says so', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await json(['--ops-url', closed, '/api/v1/namespaces/ns-1/secrets?limit=4']);
    assert.equal(r.via, 'upstream');
    assert.match(r.notes[0]!, /not reachable \(ECONNREFUSED\): estimated by a fresh estimator .* directly/);
    assert.equal(r.objects, 4, 'one page of the 10 the probe counted');
    assert.equal(r.sources.count, 'probe');
    // Nothing learned, and a 1.32 upstream publishes no size metric to seed from: the sizes are sampled.
    assert.equal(r.sources.size, 'sample', 'nothing learned and no apiserver size metric on 1.32: a sample of the secrets');
    assert.match(String(r.decision), /unknown: the gateway is not reachable/);
  });

  it('prints the breakdown as text, and refuses a request without a path', async () => {
    const text = await listgate(['estimate', '--config', stack.configPath, '--ops-url', opsUrl, '/api/v1/secrets?resourceVersion=0']);
    assert.equal(text.code, 0, text.stderr);
    for (const label of ['objects:', 'size:', 'factors:', 'response:', 'memory:', 'decision:', 'why:']) assert.match(text.stdout, new RegExp(`^${label}`, 'm'));
    assert.match(text.stdout, /served from the watch cache/);
    const bad = await listgate(['estimate', '--config', stack.configPath]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /PATH\?QUERY/);
  });
});
