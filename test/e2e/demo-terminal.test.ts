/**
 * The demo's terminal: the production logger (createLogger) through the demo's pretty stream. One line
 * per record (a request is one line), an error as its message (no stack), colour only on a terminal;
 * and the JSON log keeps the stack of a programming error but not of an expected connection error.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createDemoLogStream, formatDemoLine } from '../../src/cli/demo-log.js';
import { createLogger } from '../../src/log.js';
import { startE2EStack, type E2EStack } from '../support/e2e-stack.js';
import { eventually } from '../support/gateway-fixture.js';

/** A capturing stream; `isTTY` as a terminal would say. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text(): string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  }) as Writable & { isTTY: boolean; text(): string };
  stream.isTTY = isTTY;
  stream.text = () => out;
  return stream;
}

/** The text without its ANSI colour sequences (ESC [ … m). */
const stripColours = (text: string): string => text.split('\u001b[').map((part, i) => (i === 0 ? part : part.replace(/^[0-9;]*m/, ''))).join('');

/** `[HH:MM:SS.mmm] LEVEL: …`: every line of the terminal is one whole record. */
const RECORD = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/;

describe("the demo's log lines", () => {
  it('formats a request as one line: who, what, the answer, admission, size and time', () => {
    const rows: Array<[Record<string, unknown>, string]> = [
      [
        { msg: 'request completed', user: 'jane', verb: 'list', target: { resource: 'secrets', namespace: 'ns-0' }, code: 200, bytes: 2970, durationMs: 9.7, decision: 'admitted', estimatedBytes: 7091 },
        'jane list secrets -n ns-0 → 200, 2.90 KiB in 9.7 ms (estimated 6.92 KiB)',
      ],
      [
        { msg: 'request completed', user: 'jane', verb: 'get', target: { resource: 'pods', namespace: 'default', name: 'pod-0' }, code: 200, bytes: 1600, durationMs: 2 },
        'jane get pods pod-0 -n default → 200, 1.56 KiB in 2 ms',
      ],
      [
        { msg: 'request completed', user: 'jane', verb: 'list', target: { resource: 'secrets' }, code: 429, bytes: 700, durationMs: 1.2, decision: 'rejected', admission: { level: 'catch-all', reason: 'queue_full', retryAfterSeconds: 3 }, estimatedBytes: 300 * 1024 ** 2 },
        'jane list secrets -A → 429, 700 B in 1.2 ms (rejected: queue_full, retry after 3s; estimated 300 MiB)',
      ],
      [
        { msg: 'request completed', user: 'jane', verb: 'list', target: { resource: 'secrets' }, code: 200, bytes: 50 * 1024 ** 2, durationMs: 812, decision: 'offload', offload: { mode: 'pages', limit: 40, pieces: 5, items: 200, restarts: 0, result: 'complete' }, estimatedBytes: 300 * 1024 ** 2 },
        'jane list secrets -A → 200, 50.0 MiB in 812 ms (offloaded: 5 pages; estimated 300 MiB)',
      ],
      [
        { msg: 'request completed', user: 'jane', verb: 'list', target: { resource: 'secrets' }, code: 200, bytes: 3 * 1024 ** 2, durationMs: 90, decision: 'offload', offload: { mode: 'watch', pieces: 1, result: 'broken' }, error: 'offload_broken' },
        'jane list secrets -A → 200, 3.00 MiB in 90 ms (offloaded: a streaming list, broken; offload_broken)',
      ],
      [
        { msg: 'request completed', user: 'jane', verb: 'watch', kind: 'streamingList', target: { resource: 'secrets' }, code: 200, bytes: 4 * 1024 ** 2, durationMs: 5096.2, clientClosed: true },
        'jane watch secrets -A → 200, 4.00 MiB in 5096.2 ms (streaming list; the client went away)',
      ],
      [{ msg: 'request completed', user: 'admin', verb: 'get', path: '/version', code: 304, bytes: 0, durationMs: 5, decision: 'exempt' }, 'admin get /version → 304, 0 B in 5 ms (exempt)'],
      [{ msg: 'request completed', verb: 'get', code: 401, bytes: 0, durationMs: 3, error: 'unauthorized' }, '(not authenticated) get → 401, 0 B in 3 ms (unauthorized)'],
      [{ msg: 'request completed', user: 'jane', verb: 'list', target: { resource: 'configmaps' }, code: 502, bytes: 0, durationMs: 4, error: 'upstream_unreachable' }, 'jane list configmaps -A → 502, 0 B in 4 ms (upstream_unreachable)'],
    ];
    for (const [log, line] of rows) assert.equal(formatDemoLine(log), line);
  });

  it('formats any other record as its message and fields, an error as its message alone', () => {
    assert.equal(formatDemoLine({ msg: 'listgate gateway listening', listen: '127.0.0.1:8443', reload: true, name: 'listgate', pid: 1 }), 'listgate gateway listening listen=127.0.0.1:8443 reload=true');
    assert.equal(formatDemoLine({ msg: 'settings applied', component: 'admission', changed: ['admission.budget'] }), '[admission] settings applied changed=["admission.budget"]');
    const err = { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:6443', code: 'ECONNREFUSED', stack: 'Error: connect ECONNREFUSED\n    at TCPConnectWrap.afterConnect' };
    assert.equal(formatDemoLine({ msg: 'upstream request failed', reason: 'upstream_unreachable', err }), 'upstream request failed reason=upstream_unreachable error: connect ECONNREFUSED 127.0.0.1:6443');
    const reset = { type: 'Error', message: 'socket hang up', code: 'ECONNRESET', stack: 'Error: socket hang up\n    at …' };
    assert.equal(formatDemoLine({ msg: 'upstream broke off the response; client response destroyed', err: reset }), 'upstream broke off the response; client response destroyed error: socket hang up (ECONNRESET)');
  });

  it('colours only a terminal', () => {
    for (const isTTY of [false, true]) {
      const out = capture(isTTY);
      createLogger({ level: 'info', destination: createDemoLogStream(out) }).warn({ reason: 'x' }, 'something happened');
      const escapes = out.text().includes('\u001b[');
      assert.equal(escapes, isTTY && !process.env.NO_COLOR, `isTTY ${isTTY}: ${JSON.stringify(out.text())}`);
      assert.match(stripColours(out.text()), /^\[[\d:.]+\] WARN: something happened reason=x\n$/);
    }
  });

  it('the JSON log keeps the stack of a programming error, not of an expected connection error', () => {
    const out = capture(false);
    const logger = createLogger({ level: 'info', destination: out });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 });
    logger.warn({ err: refused }, 'upstream request failed');
    logger.warn({ err: new Error('the upstream went away', { cause: refused }) }, 'wrapped');
    logger.error({ err: new TypeError('cannot read properties of undefined') }, 'request failed inside the gateway');
    const [plain, wrapped, bug] = out.text().trim().split('\n').map((l) => (JSON.parse(l) as { err: Record<string, unknown> }).err);
    assert.equal(plain!.stack, undefined);
    assert.equal(plain!.code, 'ECONNREFUSED');
    assert.equal(wrapped!.stack, undefined);
    assert.match(String(wrapped!.message), /the upstream went away: connect ECONNREFUSED/);
    assert.match(String(bug!.stack), /^TypeError: cannot read properties of undefined\n\s+at /);
  });
});

function get(stack: E2EStack, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.gatewayUrl}${path}`, { ca: stack.pki.ca.certPem, cert: stack.pki.user.certPem, key: stack.pki.user.keyPem, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("the demo's terminal, through the demo stack", () => {
  let stack: E2EStack;
  const out = capture(false);
  before(async () => {
    stack = await startE2EStack({ logger: createLogger({ level: 'info', destination: createDemoLogStream(out) }), logLevel: 'info' });
  });
  after(async () => stack.close());

  it('one line per request, none with a stack or a colour, also when the upstream is gone', async () => {
    await eventually(() => out.text().includes('listgate gateway listening'), 5000, 'the first line');
    const before = out.text().split('\n').length;
    const paths = ['/version', '/api/v1/namespaces', '/api/v1/namespaces/default/pods/pod-0', '/api/v1/namespaces/ns-0/configmaps?limit=2', '/api/v1/namespaces/ns-1/secrets'];
    for (const path of paths) assert.equal(await get(stack, path), 200, path);
    const requestLinesNow = () => out.text().split('\n').slice(before - 1, -1).filter((l) => / → \d{3}, /.test(l));
    // Other lines (the estimator's) may come between them: wait for the request lines themselves.
    await eventually(() => requestLinesNow().length >= paths.length, 3000, 'the request lines');
    const requestLines = requestLinesNow();
    assert.equal(requestLines.length, paths.length, `one line per request:\n${out.text()}`);
    assert.match(requestLines[2]!, /INFO: jane get pods pod-0 -n default → 200, /);

    // The upstream goes away: the connection error is a line with its message, no stack.
    await stack.sim.close();
    const status = await get(stack, '/api/v1/namespaces/ns-0/configmaps');
    assert.ok(status >= 500, `status ${status}`);
    await eventually(() => /configmaps -n ns-0 → 5\d\d/.test(out.text()), 3000, 'the failed request line');
    const lines = out.text().trimEnd().split('\n');
    for (const line of lines) assert.match(line, RECORD, `a whole record per line: ${JSON.stringify(line)}`);
    assert.ok(!out.text().includes('\u001b['), 'no colour when the output is not a terminal');
    assert.doesNotMatch(out.text(), /\n\s+at /, 'no stack trace');
    assert.ok(lines.some((l) => /WARN: upstream request failed .*error: .*ECONNREFUSED/.test(l)), out.text());
  });
});
