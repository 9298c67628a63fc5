/**
 * resourceVersion and resourceVersionMatch on LIST, as a 1.32 apiserver applies them: "0" ignores limit;
 * Exact (and the legacy "resourceVersion with limit") read the collection as it was; NotOlderThan and an
 * unset resourceVersion read the latest; a compacted revision is 410 Expired; a future one is 504 after the
 * watch cache's 3 s wait, or etcd's 500 for an Exact read; invalid combinations are 422 / 400 with the
 * apiserver's exact Status bodies.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createConfigMap,
  createNamespace,
  expectStatus,
  getJson,
  listRv,
  names,
  send,
  type ContractUpstream,
  type ObjectList,
  type StatusBody,
} from './upstream.js';

const NS = 'contract-rv';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

/** A 422 Invalid ListOptions Status with the given field causes, exactly as handlers/get.go builds it. */
function invalidListOptions(causes: { reason: string; message: string; field: string }[]): Omit<StatusBody, 'headers'> {
  const summary = causes.map((c) => `${c.field}: ${c.message}`);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `ListOptions.meta.k8s.io "" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`,
    reason: 'Invalid',
    details: { group: 'meta.k8s.io', kind: 'ListOptions', causes },
    code: 422,
  };
}

const forbidden = (field: string, detail: string) => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field });

export function listResourceVersionContract(upstream: () => ContractUpstream): void {
  describe('LIST resourceVersion and resourceVersionMatch', () => {
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      for (let i = 0; i < 4; i++) await createConfigMap(up, NS, `cm-${i}`);
    });

    it('resourceVersion=0 ignores limit', async () => {
      const list = await getJson<ObjectList>(upstream(), `${CM}?resourceVersion=0&limit=2`);
      assert.deepEqual(names(list), ['cm-0', 'cm-1', 'cm-2', 'cm-3']);
      assert.equal(list.metadata.continue, undefined);
    });

    it('Exact and the legacy resourceVersion-with-limit read the past; NotOlderThan and unset read the latest', async () => {
      const up = upstream();
      const before = await getJson<ObjectList>(up, CM);
      const rv = before.metadata.resourceVersion;
      const patch = await send(up, `${CM}/cm-1`, { method: 'PATCH', headers: MERGE, body: { data: { key: 'changed' } } });
      assert.equal(patch.status, 200, patch.text);
      assert.equal((await send(up, `${CM}/cm-2`, { method: 'DELETE' })).status, 200);

      const exact = await getJson<ObjectList>(up, `${CM}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.equal(exact.metadata.resourceVersion, rv);
      assert.deepEqual(names(exact), names(before));
      assert.equal(exact.items.find((i) => i.metadata.name === 'cm-1')!.data!['key'], 'cm-1');
      const legacy = await getJson<ObjectList>(up, `${CM}?resourceVersion=${rv}&limit=2`);
      assert.deepEqual([legacy.metadata.resourceVersion, names(legacy)], [rv, ['cm-0', 'cm-1']], 'resourceVersion with limit and no match is an exact read');
      assert.equal(legacy.metadata.remainingItemCount, 2);

      for (const query of [`resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${rv}`, '']) {
        const latest = await getJson<ObjectList>(up, `${CM}?${query}`);
        assert.ok(Number(latest.metadata.resourceVersion) > Number(rv), `${query}: a newer revision`);
        assert.deepEqual(names(latest), ['cm-0', 'cm-1', 'cm-3'], query);
        assert.equal(latest.items.find((i) => i.metadata.name === 'cm-1')!.data!['key'], 'changed', query);
      }
      const paged = await getJson<ObjectList>(up, `${CM}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan&limit=2`);
      assert.deepEqual(names(paged), ['cm-0', 'cm-1'], 'NotOlderThan honours limit');
      assert.ok(Number(paged.metadata.resourceVersion) > Number(rv));
    });

    it('answers 410 Expired for an exact read of a compacted revision', async () => {
      const up = upstream();
      const old = await listRv(up, CM);
      await createConfigMap(up, NS, 'after-old');
      await up.compact();
      for (const query of [`resourceVersion=${old}&resourceVersionMatch=Exact`, `resourceVersion=${old}&limit=5`]) {
        const { headers: _h, ...status } = await expectStatus(up, `${CM}?${query}`, 410);
        assert.deepEqual(status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'The resourceVersion for the provided list is too old.', reason: 'Expired', code: 410 });
      }
    });

    it('answers a future revision with 504 after the watch cache waited, or with etcd\'s 500 for an exact read', async () => {
      const up = upstream();
      const future = (await listRv(up, CM)) + 1_000_000;
      const [plain, paged] = await Promise.all([
        expectStatus(up, `${CM}?resourceVersion=${future}`, 504),
        expectStatus(up, `${CM}?resourceVersion=${future}&resourceVersionMatch=NotOlderThan&limit=5`, 504),
      ]);
      for (const { headers, ...status } of [plain, paged]) {
        assert.equal(headers['retry-after'], '1');
        assert.match(status.message, new RegExp(`^Timeout: Too large resource version: ${future}, current: \\d+$`));
        assert.deepEqual({ ...status, message: '' }, {
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: '', reason: 'Timeout',
          details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 }, code: 504,
        });
      }
      const { headers: _h, ...exact } = await expectStatus(up, `${CM}?resourceVersion=${future}&resourceVersionMatch=Exact`, 500);
      assert.deepEqual(exact, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcdserver: mvcc: required revision is a future revision', code: 500 });
    });

    it('serves a cache read whose revision arrives while it waits', async () => {
      const up = upstream();
      const next = (await listRv(up, CM)) + 1;
      const pending = send(up, `${CM}?resourceVersion=${next}`);
      await createConfigMap(up, NS, 'arrives');
      const res = await pending;
      assert.equal(res.status, 200, res.text);
      assert.ok(Number((res.json as ObjectList).metadata.resourceVersion) >= next);
    });

    it('refuses invalid combinations with 422 Invalid ListOptions, field by field', async () => {
      const up = upstream();
      const cases: [string, { reason: string; message: string; field: string }[]][] = [
        ['resourceVersionMatch=NotOlderThan', [forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided')]],
        ['resourceVersion=0&resourceVersionMatch=Exact', [forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')]],
        ['resourceVersion=5&resourceVersionMatch=Newest', [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""', field: 'resourceVersionMatch' }]],
        ['sendInitialEvents=true', [forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list')]],
        ['resourceVersionMatch=Exact&continue=abc', [
          forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'),
          forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
        ]],
        ['watch=1&sendInitialEvents=true', [forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan')]],
        ['watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan', [forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided')]],
        ['watch=1&sendInitialEvents=true&resourceVersionMatch=Exact', [
          forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
          { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Exact": supported values: "NotOlderThan"', field: 'resourceVersionMatch' },
        ]],
      ];
      for (const [query, causes] of cases) {
        const { headers: _h, ...status } = await expectStatus(up, `/api/v1/configmaps?${query}`, 422);
        assert.deepEqual(status, invalidListOptions(causes), query);
      }
    });

    it('refuses a resourceVersion that is not a number: 400 where etcd parses it, the watch cache\'s 500 where it does', async () => {
      const up = upstream();
      const parse = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
      for (const query of ['resourceVersion=abc&resourceVersionMatch=Exact', 'resourceVersion=abc&limit=5']) {
        const { headers: _h, ...status } = await expectStatus(up, `${CM}?${query}`, 400);
        assert.deepEqual(status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `invalid resource version: ${parse}`, reason: 'BadRequest', code: 400 }, query);
      }
      for (const query of ['resourceVersion=abc', 'resourceVersion=abc&watch=1']) {
        const { headers: _h, ...status } = await expectStatus(up, `${CM}?${query}`, 500);
        assert.deepEqual(status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: parse, code: 500 }, query);
      }
    });
  });
}
