import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LevelView } from '../../src/admit/budget.js';
import { fittingLimit, largeListWarning, WATCH_LIST_CLIENT_HINT, warningValue } from '../../src/admit/list-hints.js';
import { buildRejection, type RejectionInput } from '../../src/admit/rejection.js';

const Mi = 1024 ** 2;

const level: LevelView = {
  name: 'catch-all',
  exempt: false,
  guaranteedBytes: 100 * Mi,
  ceilingBytes: 500 * Mi,
  maxCeilingBytes: 500 * Mi,
  inUseBytes: 300 * Mi,
  heldBytes: 0,
  heldOverBytes: 0,
  freeBytes: 200 * Mi,
  queuedBytes: 600 * Mi,
  queuedRequests: 2,
  leases: 1,
};

const input = (over: Partial<RejectionInput> = {}): RejectionInput => ({
  reason: 'wait_exceeded',
  retryAfterSeconds: 4,
  estimate: { class: 'list', estimatedBytes: 300 * Mi, objects: 200 },
  target: { resource: 'secrets', apiGroup: '' },
  level,
  budgetBytes: 1000 * Mi,
  effectiveBudgetBytes: 1000 * Mi,
  streaming: true,
  client: 'client-go',
  ...over,
});

const STREAM = WATCH_LIST_CLIENT_HINT;

describe('the 429 rejection', () => {
  it('Status, Retry-After and the streaming Warning when the upstream streams (a client-go program)', () => {
    const r = buildRejection(input());
    assert.deepEqual(r.headers, { 'Retry-After': '4', Warning: `299 - "listgate: ${STREAM}"` });
    assert.deepEqual(r.status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Too many requests: this LIST of secrets (estimated 300Mi of apiserver memory) would wait longer than the queue allows (priority level catch-all); retry after 4s, or ${STREAM}`,
      reason: 'TooManyRequests',
      details: {
        kind: 'secrets',
        retryAfterSeconds: 4,
        causes: [
          {
            reason: 'EstimatedMemoryOverBudget',
            message:
              'estimated apiserver memory 314572800 bytes (300Mi) for 200 objects; budget 1048576000 bytes (1000Mi); priority level catch-all may hold 524288000 bytes (500Mi) (at most 524288000 bytes (500Mi)), in use 314572800 bytes (300Mi), 2 queued (600Mi)',
          },
        ],
      },
      code: 429,
    });
  });

  it('offers pagination with a limit that fits when the upstream does not stream (1.33 answers 422)', () => {
    const r = buildRejection(input({ streaming: false }));
    // 1.5Mi per object; the level has 200Mi free: pages of 130 objects fit.
    const hint = 'paginate with limit=130 and follow metadata.continue (client-go: a tools/pager ListPager with PageSize)';
    assert.equal(r.headers.Warning, `299 - "listgate: ${hint}"`);
    assert.ok(r.status.message!.endsWith(`retry after 4s, or ${hint}`));
    assert.ok(!r.status.message!.includes('sendInitialEvents'));
  });

  it('a LIST that can never fit: no Retry-After, no retryAfterSeconds, and exactly how to paginate or stream', () => {
    const r = buildRejection(input({ reason: 'too_large', retryAfterSeconds: undefined, estimate: { class: 'list', estimatedBytes: 2048 * Mi, objects: 1000 } }));
    assert.equal(r.headers['Retry-After'], undefined);
    assert.equal(r.status.details?.retryAfterSeconds, undefined);
    assert.equal(r.status.code, 429);
    assert.equal(
      r.status.message,
      `this LIST of secrets is estimated to hold 2Gi of apiserver memory, more than priority level catch-all can ever hold (500Mi); it will never be admitted as it is: ${STREAM}; or paginate with limit=97 and follow metadata.continue (client-go: a tools/pager ListPager with PageSize)`,
    );
    assert.equal(r.headers.Warning, `299 - "listgate: ${STREAM}"`);
  });

  it('says when the adaptive budget lowered the budget, and gives other requests no list hint', () => {
    const r = buildRejection(input({ effectiveBudgetBytes: 600 * Mi, estimate: { class: 'deletecollection', estimatedBytes: 300 * Mi, objects: 200 }, target: { resource: 'pods', apiGroup: 'apps' } }));
    assert.equal(r.headers.Warning, undefined);
    assert.equal(r.status.details?.group, 'apps');
    assert.match(r.status.details!.causes![0]!.message!, /budget 1048576000 bytes \(1000Mi\), lowered to 629145600 bytes \(600Mi\)/);
    assert.match(r.status.message!, /^Too many requests: this request \(estimated 300Mi/);
  });

  it('never echoes an unprintable resource name', () => {
    const r = buildRejection(input({ target: { resource: 'se"cr\nets', apiGroup: '' } }));
    assert.equal(r.status.details?.kind, '(unprintable)');
    assert.ok(!r.status.message!.includes('"'));
  });
});

describe('list hints', () => {
  it('Warning values are quoted with escapes and printable ASCII only', () => {
    assert.equal(warningValue('a "b" \\ c\u00e9\n'), '299 - "a \\"b\\" \\\\ c  "');
  });

  it('fitting limits: two significant digits, at least 1, fewer than the objects', () => {
    assert.equal(fittingLimit({ estimatedBytes: 1000, objects: 10 }, 550), 5);
    assert.equal(fittingLimit({ estimatedBytes: 10_000_000, objects: 100_000 }, 4_321_000), 43_000);
    assert.equal(fittingLimit({ estimatedBytes: 1000, objects: 10 }, 1), 1);
    assert.equal(fittingLimit({ estimatedBytes: 1000, objects: 10 }, 1e9), 9);
  });

  it('prices pages with the estimator when it can: a page read from etcd costs more per object than the cached whole', () => {
    // The whole list: 1000 objects, 1.75 bytes each; a page: 4.5 bytes per object plus a 100-byte envelope.
    const page = (n: number) => 4.5 * n + 100;
    const limit = fittingLimit({ estimatedBytes: 1750, objects: 1000 }, 1000, page);
    assert.ok(page(limit) <= 1000, `limit ${limit} fits`);
    assert.equal(limit, 180);
    assert.equal(fittingLimit({ estimatedBytes: 1750, objects: 1000 }, 1000), 570, 'without the estimator: the whole list’s cost per object');
  });

  it('the Warning an admitted large LIST gets', () => {
    assert.equal(
      largeListWarning({ estimate: { estimatedBytes: 300 * Mi, objects: 200 }, resource: 'secrets', client: 'other', streaming: false, limit: 50 }),
      '299 - "listgate: this LIST of secrets is estimated to hold 300Mi of apiserver memory; paginate with limit=50 and follow metadata.continue"',
    );
    assert.equal(
      largeListWarning({ estimate: { estimatedBytes: 300 * Mi, objects: 200 }, resource: 'secrets', client: 'other', streaming: true, limit: 50 }),
      '299 - "listgate: this LIST of secrets is estimated to hold 300Mi of apiserver memory; paginate with limit=50 and follow metadata.continue"',
      'pagination first for a client of unknown kind, even when the upstream streams',
    );
  });
});
