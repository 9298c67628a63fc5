/**
 * The representations listgate classifies and sizes: a Table as `kubectl get` asks for it (rows of cells,
 * each with a PartialObjectMetadata, or none with includeObject=None; the list's metadata kept), a
 * PartialObjectMetadataList (metadata only, the list's paging kept), and the 406 for a singular
 * PartialObjectMetadata asked of a list or a list asked of one object.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createConfigMap, createNamespace, expectStatus, getJson, send, type ContractUpstream, type ListMeta, type ObjectMeta } from './upstream.js';

const NS = 'contract-repr';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

/** kubectl 1.32's Accept for `kubectl get`. */
export const KUBECTL_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json';

interface Table {
  kind: string;
  apiVersion: string;
  metadata: ListMeta;
  columnDefinitions: { name: string; type: string; format: string; priority: number }[];
  rows: { cells: unknown[]; object: { kind: string; apiVersion: string; metadata: ObjectMeta } | null }[];
}

interface MetadataList {
  kind: string;
  apiVersion: string;
  metadata: ListMeta;
  items: { kind: string; apiVersion: string; metadata: ObjectMeta; data?: unknown }[];
}

export function listRepresentationsContract(upstream: () => ContractUpstream): void {
  describe('LIST representations', () => {
    before(async () => {
      const up = upstream();
      await createNamespace(up, NS);
      for (let i = 0; i < 3; i++) await createConfigMap(up, NS, `cm-${i}`, { app: 'repr' });
      const secret = await send(up, `/api/v1/namespaces/${NS}/secrets`, { method: 'POST', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's-0' }, type: 'Opaque', stringData: { a: '1', b: '2' } } });
      assert.equal(secret.status, 201, secret.text);
    });

    it('serves a Table as kubectl get asks for it, paged, with PartialObjectMetadata rows', async () => {
      const up = upstream();
      const table = await getJson<Table>(up, `${CM}?limit=2`, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      assert.deepEqual([table.kind, table.apiVersion], ['Table', 'meta.k8s.io/v1']);
      assert.ok(table.metadata.resourceVersion && table.metadata.continue);
      assert.equal(table.metadata.remainingItemCount, 1);
      assert.deepEqual(table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]), [['Name', 'string', 'name', 0], ['Data', 'string', '', 0], ['Age', 'string', '', 0]]);
      assert.deepEqual(table.rows.map((r) => r.cells.slice(0, 2)), [['cm-0', 1], ['cm-1', 1]]);
      assert.ok(table.rows.every((r) => typeof r.cells[2] === 'string' && /^\d+[smhdy]/.test(r.cells[2] as string)), 'an age');
      for (const row of table.rows) {
        assert.deepEqual([row.object?.kind, row.object?.apiVersion, row.object?.metadata.namespace, row.object?.metadata.labels], ['PartialObjectMetadata', 'meta.k8s.io/v1', NS, { app: 'repr' }]);
      }
      const secrets = await getJson<Table>(up, `/api/v1/namespaces/${NS}/secrets`, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      assert.deepEqual(secrets.columnDefinitions.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
      assert.deepEqual(secrets.rows.map((r) => r.cells.slice(0, 3)), [['s-0', 'Opaque', 2]]);
      const bare = await getJson<Table>(up, `${CM}?includeObject=None`, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      assert.ok(bare.rows.length === 3 && bare.rows.every((r) => r.object === null), 'includeObject=None: no objects');
      const one = await getJson<Table>(up, `${CM}/cm-0`, { headers: { Accept: KUBECTL_TABLE_ACCEPT } });
      assert.deepEqual(one.rows.map((r) => r.cells[0]), ['cm-0']);
      assert.deepEqual(Object.keys(one.metadata), ['resourceVersion'], 'one object: its resourceVersion');
    });

    it('serves a PartialObjectMetadataList with the list\'s paging, metadata only', async () => {
      const up = upstream();
      const list = await getJson<MetadataList>(up, `${CM}?limit=2`, { headers: { Accept: METADATA_LIST_ACCEPT } });
      assert.deepEqual([list.kind, list.apiVersion], ['PartialObjectMetadataList', 'meta.k8s.io/v1']);
      assert.ok(list.metadata.continue);
      assert.equal(list.metadata.remainingItemCount, 1);
      assert.deepEqual(list.items.map((i) => [i.kind, i.apiVersion, i.metadata.name, i.metadata.namespace, i.data]), [
        ['PartialObjectMetadata', 'meta.k8s.io/v1', 'cm-0', NS, undefined],
        ['PartialObjectMetadata', 'meta.k8s.io/v1', 'cm-1', NS, undefined],
      ]);
    });

    it('answers 406 for PartialObjectMetadata of a list and PartialObjectMetadataList of one object', async () => {
      const up = upstream();
      const ofList = await expectStatus(up, CM, 406, { headers: { Accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' } });
      assert.deepEqual([ofList.reason, ofList.message], ['NotAcceptable', 'you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)']);
      const ofOne = await expectStatus(up, `${CM}/cm-0`, 406, { headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } });
      assert.deepEqual([ofOne.reason, ofOne.message], ['NotAcceptable', 'you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)']);
    });
  });
}
