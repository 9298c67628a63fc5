/**
 * Admission assembled: what passes at once, what is exempt, what takes a lease, the Warning on large
 * admitted LISTs, the 429 with the hint the upstream allows, the dry run, reload in place, and the metrics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DEFAULT_ADMISSION, type AdmissionSettings } from '../../src/admit/admission-settings.js';
import { createAdmission, type AdmissionQuery } from '../../src/admit/create-admission.js';
import { createManualClock } from './support/manual-clock.js';

const Mi = 1024 ** 2;

function setup(over: Partial<AdmissionSettings> = {}) {
  const clock = createManualClock();
  const registry = new Registry();
  const settings: AdmissionSettings = { ...DEFAULT_ADMISSION, budgetBytes: 1000 * Mi, warningBytes: 100 * Mi, streamingLists: 'disabled', ...over };
  const admission = createAdmission({ settings, registry, now: clock.now, timers: clock.timers });
  return { admission, registry, clock, settings };
}

const query = (over: Partial<AdmissionQuery> & { bytes?: number; cls?: string; username?: string; groups?: string[] } = {}): AdmissionQuery => ({
  user: { username: over.username ?? 'jane', groups: over.groups ?? ['developers', 'system:authenticated'] },
  target: { verb: 'list', apiGroup: '', resource: 'secrets', namespace: '' },
  method: 'GET',
  url: '/api/v1/secrets',
  estimate: { class: over.cls ?? 'list', estimatedBytes: over.bytes ?? 200 * Mi, objects: 200 },
});

describe('createAdmission', () => {
  it('small requests, watches and streaming lists pass at once without a lease', async () => {
    const { admission } = setup();
    for (const q of [query({ bytes: 1000 }), query({ cls: 'watch', bytes: 900 * Mi }), query({ cls: 'streaming-list', bytes: 900 * Mi })]) {
      const r = await admission.admit(q);
      assert.equal(r.decision, 'admitted');
      assert.equal(r.decision === 'admitted' && r.lease, undefined);
    }
    assert.equal(admission.budget.inUseBytes(), 0);
  });

  it('system:masters is exempt; its large requests are counted', async () => {
    const { admission } = setup();
    assert.deepEqual(admission.dryRun(query({ username: 'admin', groups: ['system:masters'], bytes: 5000 * Mi })), {
      decision: 'exempt',
      reasons: [
        'flow schema exempt → priority level exempt, flow user:admin',
        'estimated 4.9Gi; an exempt level never waits (its lease still counts against the budget, 0 in use)',
      ],
    });
    const r = await admission.admit(query({ username: 'admin', groups: ['system:masters'], bytes: 5000 * Mi }));
    assert.equal(r.decision, 'exempt');
    assert.equal(r.level, 'exempt');
    assert.equal(admission.budget.inUseBytes(), 5000 * Mi);
  });

  it('a large admitted LIST takes a lease in its level and gets the Warning', async () => {
    const { admission } = setup();
    const r = await admission.admit(query());
    assert.equal(r.decision, 'admitted');
    assert.equal(r.level, 'catch-all');
    assert.equal(r.flowSchema, 'catch-all');
    assert.ok(r.decision === 'admitted' && r.lease);
    assert.equal(
      r.decision === 'admitted' && r.warning,
      '299 - "listgate: this LIST of secrets is estimated to hold 200Mi of apiserver memory; paginate with limit=120 and follow metadata.continue"',
    );
    assert.equal(admission.budget.level('catch-all')?.inUseBytes, 200 * Mi);
    // The query's client names the words: kubectl is told its flag.
    const fromKubectl = await admission.admit({ ...query(), client: 'kubectl' });
    assert.match(fromKubectl.decision === 'admitted' ? String(fromKubectl.warning) : '', /; list in smaller pages: kubectl get --chunk-size=\d+ /);
  });

  it('rejects with the 429 of rejection.ts; the dry run says why before', async () => {
    const { admission } = setup();
    // catch-all can hold min(1, 0.1 + 0.4) of 1000Mi = 500Mi.
    const dry = admission.dryRun(query({ bytes: 600 * Mi }));
    assert.equal(dry.decision, 'rejected');
    assert.deepEqual(dry.reasons, [
      'flow schema catch-all → priority level catch-all, flow user:jane',
      'estimated 600Mi; the level may hold 500Mi now (at most 500Mi), 0 in use, 500Mi free, 0 queued',
      'would be answered 429 (too_large)',
    ]);
    const r = await admission.admit(query({ bytes: 600 * Mi }));
    assert.equal(r.decision, 'rejected');
    if (r.decision !== 'rejected') return;
    assert.equal(r.reason, 'too_large');
    assert.equal(r.rejection.status.code, 429);
    assert.equal(r.rejection.headers['Retry-After'], undefined);
    assert.match(r.rejection.headers.Warning!, /^299 - "listgate: paginate with limit=/);
  });

  it('a reload resizes in place and keeps the leases', async () => {
    const { admission, settings } = setup();
    const r = await admission.admit(query());
    admission.reconfigure({ ...settings, budgetBytes: 2000 * Mi });
    assert.equal(admission.budget.configuredBudget(), 2000 * Mi);
    assert.equal(admission.budget.inUseBytes(), 200 * Mi);
    assert.ok(r.decision === 'admitted' && r.lease?.release());
    assert.equal(admission.budget.inUseBytes(), 0);
    admission.reconfigure({ ...settings, enabled: false });
    assert.equal(admission.enabled(), false);
    assert.equal(admission.dryRun(query()).decision, 'admitted');
  });

  it('exposes its metrics in base units on the injected registry', async () => {
    const { admission, registry } = setup();
    const r = await admission.admit(query());
    await admission.admit(query({ bytes: 900 * Mi }));
    const text = await registry.metrics();
    assert.match(text, /^listgate_admission_budget_bytes 1048576000$/m);
    assert.match(text, /^listgate_admission_effective_budget_bytes 1048576000$/m);
    assert.match(text, /^listgate_admission_in_use_bytes\{level="catch-all"\} 209715200$/m);
    assert.match(text, /^listgate_admission_level_limit_bytes\{level="catch-all"\} 524288000$/m);
    assert.match(text, /^listgate_admission_rejections_total\{level="catch-all",reason="too_large"\} 1$/m);
    assert.match(text, /^listgate_admission_queue_wait_seconds_count\{level="catch-all",result="admitted"\} 1$/m);
    assert.match(text, /^listgate_admission_estimated_bytes_count\{level="catch-all",decision="admitted"\} 1$/m);
    assert.match(text, /^listgate_admission_streaming_lists 0$/m);
    assert.ok(r.decision === 'admitted' && r.lease?.release());
    assert.match(await registry.metrics(), /^listgate_admission_lease_hold_seconds_count\{level="catch-all"\} 1$/m);
  });
});
