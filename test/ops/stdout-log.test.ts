/**
 * The gateway's stdout logger (src/log.ts, `asyncStdout`): lines logged together go out in one write
 * once the first of them has waited `STDOUT_FLUSH_MS` (a quiet gateway's line still appears without
 * more logging), and lines still pending when the process exits are written before it ends. Each case
 * runs the real logger in a child process whose stdout is a pipe, as in a container; the child counts
 * the write system calls its stdout receives by wrapping `fs.write`, which the logger's destination uses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const LOG_MODULE = pathToFileURL(resolve('dist/src/log.js')).href;

/** Runs `body` (ESM, with `logger` and `writes()` in scope) in a child; its stdout lines and stderr. */
function runChild(body: string): Promise<{ lines: Array<Record<string, unknown>>; stderr: string; code: number | null }> {
  const script = `
    import fs from 'node:fs';
    let count = 0;
    const write = fs.write;
    fs.write = function (fd, ...rest) { if (fd === 1) count += 1; return write.call(this, fd, ...rest); };
    const writes = () => count;
    const { createLogger } = await import(${JSON.stringify(LOG_MODULE)});
    const logger = createLogger({ asyncStdout: true, level: 'info' });
    ${body}
  `;
  return new Promise((done, fail) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && err.killed) return fail(new Error(`the child did not end: ${stderr}`));
      const lines = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      done({ lines, stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

describe('the stdout logger', () => {
  it('writes lines logged together in one batch, after a short wait, without more logging', async () => {
    const { lines, stderr, code } = await runChild(`
      for (let i = 0; i < 20; i++) logger.info({ i }, 'request completed');
      const before = writes();
      while (writes() === 0) await new Promise((r) => setImmediate(r));
      process.stderr.write(JSON.stringify({ before, after: writes() }));
      setTimeout(() => process.exit(0), 0);
    `);
    assert.equal(code, 0, stderr);
    const { before, after } = JSON.parse(stderr) as { before: number; after: number };
    assert.equal(before, 0, 'nothing written while the lines gather');
    assert.equal(after, 1, 'the 20 lines in one write');
    assert.deepEqual(lines.map((l) => l.i), Array.from({ length: 20 }, (_, i) => i));
  });

  it('writes every pending line when the process exits at once', async () => {
    const { lines, stderr, code } = await runChild(`
      for (let i = 0; i < 500; i++) logger.info({ i, pad: 'x'.repeat(100) }, 'request completed');
      logger.warn('shutdown complete');
      process.exit(3);
    `);
    assert.equal(code, 3, stderr);
    assert.equal(lines.length, 501);
    assert.equal(lines.at(-1)?.msg, 'shutdown complete');
  });
});
