/** Readiness: the AND of named checks, apiserver-style /readyz text, and failing first on shutdown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReadiness, formatReadiness } from '../../src/ops/readiness.js';

describe('readiness', () => {
  it('is ready only when every named check passes; a throwing check fails with its message', async () => {
    const readiness = createReadiness();
    let warm = false;
    readiness.add('upstream', () => ({ ok: true, detail: 'upstream /readyz answered 200' }));
    readiness.add('census', async () => (warm ? { ok: true, detail: 'warm' } : { ok: false, detail: 'counts are 0 of 12 resources' }));
    readiness.add('flaky', () => {
      if (!warm) throw new Error('probe exploded');
      return { ok: true, detail: 'ok' };
    });
    const cold = await readiness.check();
    assert.equal(cold.ready, false);
    assert.equal(
      formatReadiness(cold, false),
      ['[+]shutdown ok', '[+]upstream ok', '[-]census failed: counts are 0 of 12 resources', '[-]flaky failed: probe exploded', 'readyz check failed'].join('\n'),
    );
    warm = true;
    const hot = await readiness.check();
    assert.equal(hot.ready, true);
    assert.equal(formatReadiness(hot, false), 'ok');
    assert.match(formatReadiness(hot, true), /^\[\+\]shutdown ok\n\[\+\]upstream ok\n\[\+\]census ok\n\[\+\]flaky ok\nreadyz check passed$/);
  });

  it('fails from the moment shutdown begins, whatever the other checks say', async () => {
    const readiness = createReadiness();
    readiness.add('upstream', () => ({ ok: true, detail: 'ok' }));
    assert.equal((await readiness.check()).ready, true);
    readiness.shutDown();
    const report = await readiness.check();
    assert.equal(readiness.shuttingDown, true);
    assert.deepEqual(report.checks[0], { name: 'shutdown', ok: false, detail: 'the gateway is shutting down' });
    assert.equal(report.ready, false);
  });

  it('refuses two checks with one name', () => {
    const readiness = createReadiness();
    readiness.add('census', () => ({ ok: true, detail: '' }));
    assert.throws(() => readiness.add('census', () => ({ ok: true, detail: '' })), /already registered/);
  });
});
