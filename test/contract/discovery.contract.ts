/**
 * Discovery, for every resource the simulator serves (its RESOURCES registry): the legacy documents
 * (/api, /apis, /api/v1, /apis/<group>/<version>) and the aggregated apidiscovery.k8s.io/v2 documents as
 * kubectl 1.32 asks for them. A real server serves more resources and subresources; every one the simulator
 * serves must be described exactly as the real server describes it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { groupVersion, isStored, RESOURCES, type ResourceDef } from '../../src/simulator/resources.js';
import { getJson, send, type ContractUpstream } from './upstream.js';

/** kubectl 1.32's discovery Accept (client-go discovery_client.go: AcceptV2, AcceptV2Beta1, JSON). */
export const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** How kube-apiserver 1.32 describes the subresources the simulator may serve: kind (and group/version when another) and verbs. */
const SUBRESOURCES: Record<string, { kind?: string; group?: string; version?: string; verbs: string[] }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  log: { kind: 'Pod', verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
};

function subresource(def: ResourceDef, name: string): { kind: string; group?: string; version?: string; verbs: string[] } {
  const known = SUBRESOURCES[name];
  assert.ok(known, `the contract has no expectation for ${def.resource}/${name}: add it to SUBRESOURCES`);
  return { ...known, kind: known.kind ?? def.kind };
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/** The APIResource entries of /api/v1 or /apis/<g>/<v> for `def` and its subresources. */
function legacyEntries(def: ResourceDef): Record<string, unknown>[] {
  const main: Record<string, unknown> = { name: def.resource, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: sorted(def.verbs) };
  if (def.shortNames) main['shortNames'] = def.shortNames;
  if (def.categories) main['categories'] = def.categories;
  const subs = (def.subresources ?? []).map((name) => {
    const s = subresource(def, name);
    return { name: `${def.resource}/${name}`, singularName: '', namespaced: def.namespaced, ...(s.group ? { group: s.group, version: s.version } : {}), kind: s.kind, verbs: s.verbs };
  });
  return [main, ...subs];
}

/** The aggregated (v2) entry for `def`: a responseKind of the same group/version names neither. */
function aggregatedEntry(def: ResourceDef): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: def.resource,
    responseKind: { group: '', version: '', kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: sorted(def.verbs),
  };
  if (def.shortNames) entry['shortNames'] = def.shortNames;
  if (def.categories) entry['categories'] = def.categories;
  if (def.subresources) {
    entry['subresources'] = sorted(def.subresources).map((name) => {
      const s = subresource(def, name);
      return { subresource: name, responseKind: { group: s.group ?? '', version: s.version ?? '', kind: s.kind }, verbs: s.verbs };
    });
  }
  return entry;
}

interface ApiResource { name: string; verbs: string[]; storageVersionHash?: string; [k: string]: unknown }
interface AggregatedResource { resource: string; verbs: string[]; subresources?: { subresource: string }[]; [k: string]: unknown }
interface AggregatedGroup { metadata: { name?: string; creationTimestamp: null }; versions: { version: string; freshness: string; resources: AggregatedResource[] }[] }

export function discoveryContract(upstream: () => ContractUpstream): void {
  const groups = [...new Set(RESOURCES.map((d) => d.group))];

  describe('discovery', () => {
    it('serves the legacy documents: APIVersions, APIGroupList, and each served resource as the real server lists it', async () => {
      const up = upstream();
      const versions = await getJson<Record<string, unknown>>(up, '/api', { headers: { Accept: 'application/json' } });
      assert.deepEqual(versions, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${up.port}` }] });
      const groupList = await getJson<{ kind: string; apiVersion: string; groups: { name: string; versions: unknown[]; preferredVersion: unknown }[] }>(up, '/apis', { headers: { Accept: 'application/json' } });
      assert.deepEqual([groupList.kind, groupList.apiVersion], ['APIGroupList', 'v1']);
      for (const group of groups.filter((g) => g !== '')) {
        const found = groupList.groups.find((g) => g.name === group);
        assert.deepEqual(found, { name: group, versions: [{ groupVersion: `${group}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${group}/v1`, version: 'v1' } });
        const single = await getJson<Record<string, unknown>>(up, `/apis/${group}`);
        assert.deepEqual(single, { kind: 'APIGroup', apiVersion: 'v1', ...found });
      }
      for (const gv of new Set(RESOURCES.map(groupVersion))) {
        const path = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
        const list = await getJson<{ kind: string; apiVersion?: string; groupVersion: string; resources: ApiResource[] }>(up, path);
        assert.equal(list.kind, 'APIResourceList');
        assert.equal(list.apiVersion, gv === 'v1' ? undefined : 'v1', 'the core list carries no apiVersion');
        assert.equal(list.groupVersion, gv);
        for (const def of RESOURCES.filter((d) => groupVersion(d) === gv)) {
          for (const expected of legacyEntries(def)) {
            const actual = list.resources.find((r) => r.name === expected['name']);
            assert.ok(actual, `${path} lists ${String(expected['name'])}`);
            const { storageVersionHash, ...rest } = actual;
            assert.deepEqual({ ...rest, verbs: sorted(rest.verbs) }, expected, `${path}: ${String(expected['name'])}`);
            // discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/kind") of the storage
            // version, base64 (events.k8s.io/v1 Events are stored as core v1 Events).
            const stored = def.group === 'events.k8s.io' ? '/v1/Event' : `${def.group}/${def.version}/${def.kind}`;
            const hash = createHash('sha256').update(stored).digest().subarray(0, 8).toString('base64');
            if (expected['singularName'] !== '' && isStored(def)) assert.equal(storageVersionHash, hash, `${def.resource}'s storageVersionHash`);
          }
        }
      }
    });

    it("serves the aggregated v2 documents kubectl asks for, with each served resource's entry, and honours its ETag", async () => {
      const up = upstream();
      for (const path of ['/api', '/apis']) {
        const res = await send(up, path, { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
        assert.equal(res.headers['vary'], 'Accept');
        const etag = String(res.headers['etag']);
        assert.match(etag, /^"[0-9A-F]{128}"$/, 'the ETag is the SHA-512 of the document in hex');
        const doc = res.json as { kind: string; apiVersion: string; metadata: object; items: AggregatedGroup[] };
        assert.deepEqual([doc.kind, doc.apiVersion, doc.metadata], ['APIGroupDiscoveryList', 'apidiscovery.k8s.io/v2', {}]);
        for (const group of groups.filter((g) => (g === '') === (path === '/api'))) {
          const item = doc.items.find((i) => (i.metadata.name ?? '') === group);
          assert.ok(item, `${path} has the group "${group}"`);
          assert.deepEqual(item.metadata, group ? { name: group, creationTimestamp: null } : { creationTimestamp: null });
          const version = item.versions.find((v) => v.version === 'v1');
          assert.equal(version?.freshness, 'Current');
          for (const def of RESOURCES.filter((d) => d.group === group)) {
            const actual: AggregatedResource | undefined = version!.resources.find((r) => r.resource === def.resource);
            assert.ok(actual, `${path} lists ${def.resource}`);
            const served = new Set(def.subresources ?? []);
            const subresources: { subresource: string }[] | undefined = def.subresources ? actual.subresources?.filter((s) => served.has(s.subresource)) : undefined;
            const { subresources: _all, ...rest } = actual;
            assert.deepEqual({ ...rest, verbs: sorted(rest.verbs), ...(subresources ? { subresources } : {}) }, aggregatedEntry(def), `${path}: ${def.resource}`);
          }
        }
        const again = await send(up, path, { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT, 'If-None-Match': etag } });
        assert.equal(again.status, 304);
      }
    });
  });
}
