/**
 * LIST with limit/continue: pages in key order read one snapshot (the first page's resourceVersion) while
 * objects are created and deleted between pages; continue tokens are unpadded base64url of
 * {"v":"meta.k8s.io/v1","rv":…,"start":…}; `remainingItemCount` is there on a paged list and absent with a
 * label or field selector; a continue token older than a compaction is 410 Expired with an "inconsistent"
 * token that finishes the list at the latest state; malformed tokens and a resourceVersion beside a
 * continue token are 400.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createConfigMap,
  createNamespace,
  decodeToken,
  expectStatus,
  getJson,
  names,
  send,
  type ContractUpstream,
  type ObjectList,
} from './upstream.js';

const NS = 'contract-paging';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

/** Every remaining page of a list, following continue tokens. */
async function rest(up: ContractUpstream, path: string, token: string | undefined): Promise<{ pages: ObjectList[]; items: string[] }> {
  const pages: ObjectList[] = [];
  while (token) {
    const page = await getJson<ObjectList>(up, `${path}${path.includes('?') ? '&' : '?'}continue=${encodeURIComponent(token)}`);
    pages.push(page);
    token = page.metadata.continue;
  }
  return { pages, items: pages.flatMap(names) };
}

export function listPagingContract(upstream: () => ContractUpstream): void {
  describe('LIST with limit and continue', () => {
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      for (let i = 0; i < 7; i++) await createConfigMap(up, NS, `cm-${i}`, { tier: i % 2 === 0 ? 'even' : 'odd' });
    });

    it('pages in key order at the first page\'s resourceVersion while objects are created and deleted between pages', async () => {
      const up = upstream();
      const first = await getJson<ObjectList>(up, `${CM}?limit=3`);
      assert.deepEqual([first.kind, first.apiVersion], ['ConfigMapList', 'v1']);
      assert.deepEqual(names(first), ['cm-0', 'cm-1', 'cm-2']);
      assert.equal(first.items[0]!.kind, undefined, 'typed list items carry no kind');
      assert.equal(first.metadata.remainingItemCount, 4);
      const token = first.metadata.continue!;
      assert.match(token, /^[A-Za-z0-9_-]+$/, 'unpadded base64url');
      const decoded = decodeToken(token);
      assert.deepEqual([decoded.v, decoded.rv], ['meta.k8s.io/v1', Number(first.metadata.resourceVersion)]);
      assert.ok(decoded.start.endsWith('cm-2\u0000'), `the token starts after the last key: ${JSON.stringify(decoded.start)}`);

      await createConfigMap(up, NS, 'cm-2a');
      assert.equal((await send(up, `${CM}/cm-5`, { method: 'DELETE' })).status, 200);

      const { pages, items } = await rest(up, `${CM}?limit=3`, token);
      assert.deepEqual(items, ['cm-3', 'cm-4', 'cm-5', 'cm-6'], 'later pages show the collection as it was at the first page');
      assert.ok(pages.every((p) => p.metadata.resourceVersion === first.metadata.resourceVersion), 'every page reports the snapshot revision');
      assert.equal(pages[0]!.metadata.remainingItemCount, 1);
      const last = pages[pages.length - 1]!;
      assert.deepEqual([last.metadata.continue, last.metadata.remainingItemCount], [undefined, undefined]);

      const now = names(await getJson<ObjectList>(up, CM));
      assert.deepEqual(now, ['cm-0', 'cm-1', 'cm-2', 'cm-2a', 'cm-3', 'cm-4', 'cm-6'], 'a new list sees the changes');
    });

    it('omits remainingItemCount when a label or field selector is set, and still pages', async () => {
      const up = upstream();
      const labelled = await getJson<ObjectList>(up, `${CM}?limit=1&labelSelector=tier%3Dodd`);
      assert.deepEqual(names(labelled), ['cm-1']);
      assert.ok(labelled.metadata.continue);
      assert.equal(labelled.metadata.remainingItemCount, undefined);
      const fielded = await getJson<ObjectList>(up, `${CM}?limit=1&fieldSelector=metadata.name%21%3Dcm-0`);
      assert.deepEqual(names(fielded), ['cm-1']);
      assert.ok(fielded.metadata.continue);
      assert.equal(fielded.metadata.remainingItemCount, undefined);
      assert.deepEqual((await rest(up, `${CM}?limit=1&labelSelector=tier%3Dodd`, labelled.metadata.continue)).items, ['cm-3']);
      const plain = await getJson<ObjectList>(up, `${CM}?limit=1`);
      assert.equal(typeof plain.metadata.remainingItemCount, 'number');
    });

    it('answers a continue token older than a compaction with 410 Expired and an inconsistent token that finishes the list', async () => {
      const up = upstream();
      const first = await getJson<ObjectList>(up, `${CM}?limit=2`);
      await createConfigMap(up, NS, 'cm-9');
      await up.compact();
      const stale = await expectStatus(up, `${CM}?limit=2&continue=${first.metadata.continue}`, 410);
      const { headers: _h, ...status } = stale;
      const inconsistent = status.metadata.continue;
      assert.deepEqual(status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: { continue: inconsistent },
        status: 'Failure',
        message:
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
          'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
          'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        reason: 'Expired',
        code: 410,
      });
      assert.equal(decodeToken(inconsistent!).rv, -1, 'the inconsistent token continues at the latest revision');
      const remainder = await getJson<ObjectList>(up, `${CM}?continue=${inconsistent}`);
      assert.ok(names(remainder).includes('cm-9'), 'the inconsistent remainder sees writes made after the first page');
      assert.ok(!names(remainder).some((n) => names(first).includes(n)), 'and starts after the first page');
    });

    it('refuses malformed continue tokens and a resourceVersion beside a continue token with 400 BadRequest', async () => {
      const up = upstream();
      const garbage = await expectStatus(up, `${CM}?limit=1&continue=not-a-token`, 400);
      assert.equal(garbage.reason, 'BadRequest');
      assert.equal(garbage.message, "invalid continue token: continue key is not valid: invalid character '\\u009e' looking for beginning of value");
      const first = await getJson<ObjectList>(up, `${CM}?limit=1`);
      const withRv = await expectStatus(up, `${CM}?limit=1&continue=${first.metadata.continue}&resourceVersion=5`, 400);
      assert.deepEqual([withRv.reason, withRv.message], ['BadRequest', 'specifying resource version is not allowed when using continue']);
      assert.equal((await send(up, `${CM}?limit=1&continue=${first.metadata.continue}&resourceVersion=0`)).status, 200, 'resourceVersion=0 is tolerated');
    });
  });
}
