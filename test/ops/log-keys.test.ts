/**
 * Every JSON log line is an object without a repeated key, at every level, for every kind of request.
 * The demo stack (simulator + gateway, TokenReview for tokens) logs through the production logger
 * (src/log.ts createLogger) at trace into a captured stream while it serves: a GET of a named object, a
 * LIST, a LIST admission refuses (429), a watch the client leaves, an exec tunnel, a bearer token the
 * TokenReview accepts and one it refuses, a request without credentials, and a configuration reload
 * (the log level and admission's budget, applied in place).
 * Each line is parsed with a parser that reports duplicated keys (pino writes what it is given:
 * `{ level }` beside its own `level`, or a child's `component` under its parent's, would repeat a key).
 */
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { validate as findDuplicateKey } from 'json-dup-key-validator';
import { parse, stringify } from 'yaml';
import { createLogger } from '../../src/log.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually } from '../support/gateway-fixture.js';

type Line = Record<string, unknown> & { msg?: string };

function lineSink(raw: string[]): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      raw.push(...parts.filter((l) => l !== ''));
      done();
    },
  });
}

/** One GET through the gateway with the demo user's certificate (or the given headers instead). */
function get(stack: E2EStack, path: string, opts: { headers?: Record<string, string>; anonymous?: boolean; leaveAfterFirstChunk?: boolean } = {}): Promise<number> {
  const cert = opts.anonymous || opts.headers?.Authorization ? {} : { cert: stack.pki.user.certPem, key: stack.pki.user.keyPem };
  return new Promise((resolve, reject) => {
    const req = request(`${stack.gatewayUrl}${path}`, { ca: stack.pki.ca.certPem, ...cert, agent: false, headers: opts.headers ?? {} }, (res) => {
      if (opts.leaveAfterFirstChunk) {
        res.once('data', () => {
          res.destroy();
          resolve(res.statusCode ?? 0);
        });
        return;
      }
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('JSON log lines', () => {
  let stack: E2EStack;
  const raw: string[] = [];
  const parsed = (): Line[] => raw.map((l) => JSON.parse(l) as Line);

  before(async () => {
    stack = await startE2EStack({
      logger: createLogger({ level: 'trace', destination: lineSink(raw) }),
      logLevel: 'trace',
      seed: { secrets: 12, secretSize: 256 * 1024, namespaces: 2, configmaps: 6, pods: 2 },
      // The LIST of all secrets (several MiB of apiserver memory) can never fit; small requests pass.
      admission: { budget: '2Mi' },
    });
  });
  after(async () => stack.close());

  it('have no duplicate key in any line, through every kind of request and a reload', async () => {
    const token = /token: (\S+)/.exec(await readFile(stack.tokenKubeconfig, 'utf8'))![1]!;
    assert.equal(await get(stack, '/api/v1/namespaces/default/pods/pod-0'), 200);
    assert.equal(await get(stack, '/api/v1/namespaces/ns-0/configmaps?limit=3'), 200);
    assert.equal(await get(stack, '/api/v1/secrets'), 429);
    assert.equal(await get(stack, '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0', { leaveAfterFirstChunk: true }), 200);
    assert.equal(await get(stack, '/api/v1/namespaces/default/configmaps', { headers: { Authorization: `Bearer ${token}` } }), 200);
    assert.equal(await get(stack, '/api/v1/namespaces/default/configmaps', { headers: { Authorization: 'Bearer not-a-token-anyone-issued' } }), 401);
    assert.equal(await get(stack, '/version', { anonymous: true }), 401);
    const exec = await stack.kubectl(['exec', '-n', 'default', 'pod-0', '--', 'echo', 'hello']);
    assert.equal(exec.code, 0, exec.stderr);
    const named = await stack.kubectl(['get', 'pod', 'pod-0', '-n', 'default', '-o', 'name']);
    assert.equal(named.code, 0, named.stderr);

    const doc = parse(await readFile(stack.configPath, 'utf8')) as { logging: { level: string }; admission: { budget: string } };
    doc.logging.level = 'debug';
    doc.admission.budget = '3Mi';
    await writeFile(`${stack.configPath}.tmp`, stringify(doc));
    await rename(`${stack.configPath}.tmp`, stack.configPath);
    await eventually(() => parsed().some((l) => l.msg === 'configuration reloaded'), 10_000, 'the reload line');

    const lines = parsed();
    const completed = lines.filter((l) => l.msg === 'request completed');
    const target = (l: Line) => (l.target ?? {}) as Record<string, unknown>;
    // The lines that used to repeat a key are all there: a named object, a rejection, child loggers' components.
    assert.ok(completed.some((l) => target(l).name === 'pod-0' && l.name === 'listgate'), 'a line for a named object');
    assert.ok(lines.some((l) => l.msg === 'admission rejected the request' && (l.admission as { level?: unknown }).level !== undefined && l.level === 30));
    assert.ok(completed.some((l) => l.code === 429 && l.decision === 'rejected'));
    assert.ok(completed.some((l) => l.kind === 'watch' && l.clientClosed === true), 'the watch line');
    assert.ok(completed.some((l) => l.kind === 'connect' && target(l).subresource === 'exec'), 'the exec line');
    assert.ok(completed.filter((l) => l.code === 401).length >= 2, 'the refused lines');
    assert.ok(lines.some((l) => l.msg === 'authentication failed'));
    // Lines of child loggers (the estimator's, admission's and the gateway's own part of admission).
    for (const msg of ['estimator factors chosen for the upstream version', 'admission: probed whether the upstream serves streaming lists', 'admission settings applied in place (leases and queued requests kept)']) {
      assert.ok(lines.some((l) => l.msg === msg && typeof l.component === 'string'), msg);
    }
    assert.ok(lines.some((l) => l.level === 20), 'debug lines too');

    const repeated = raw.map((line) => ({ line, problem: findDuplicateKey(line) })).filter((r) => r.problem !== undefined);
    assert.deepEqual(repeated, [], `${repeated.length} of ${raw.length} lines repeat a key`);
  });
});
