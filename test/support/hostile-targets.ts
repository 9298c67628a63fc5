/**
 * Hostile request targets, one table for every upstream (the simulator and the real kube-apiserver):
 * absolute form, `.`/`..` raw and percent-encoded in either case, `%2F`, double slashes, trailing dots,
 * query pairs Go drops. Each row says what the gateway must do with it: refuse it with a Status, or
 * classify it as what the upstream then serves. `checkHostileTarget` sends one row through a gateway and
 * checks both sides: the Status or the classification the gateway logged, and what came back.
 * Secrets live in `default` and in a second namespace (`other`), so a cluster-wide list is told from a
 * namespaced one by the namespaces of its items.
 */
import assert from 'node:assert/strict';
import type { FetchResult } from './simulator-fixture.js';

export interface HostileRow {
  target: string;
  /** The gateway answers this Status code itself; nothing goes upstream. */
  refused?: 400 | 404;
  /** Refused by Node's HTTP parser, before the pipeline: there is no request line in the log. */
  unparsed?: boolean;
  /** The gateway classifies it so; the upstream answers `code` (200 unless said) with items from `itemNamespaces`. */
  served?: { resource: string; namespace?: string; code?: number; limit?: number; itemNamespaces?: 'default' | 'both' | 'none' };
}

export function hostileTargets(other: string): HostileRow[] {
  return [
    { target: 'https://evil/api/v1/secrets', served: { resource: 'secrets', itemNamespaces: 'both' } },
    { target: `HTTPS://evil/api/v1/namespaces/${other}/secrets`, served: { resource: 'secrets', namespace: other } },
    { target: 'ftp://user@evil:1/api/v1/secrets?limit=1', served: { resource: 'secrets', limit: 1 } },
    { target: 'https:/api/v1/secrets', refused: 400, unparsed: true },
    { target: '/api/v1/namespaces%2Fdefault%2Fsecrets', served: { resource: 'secrets', namespace: 'default', itemNamespaces: 'default' } },
    { target: '/api/v1/namespaces/default%2fsecrets', served: { resource: 'secrets', namespace: 'default', itemNamespaces: 'default' } },
    { target: '/api/v1/sec%72ets', served: { resource: 'secrets', itemNamespaces: 'both' } },
    { target: '/api/v1/secrets/', served: { resource: 'secrets', itemNamespaces: 'both' } },
    { target: '/api/v1/secrets?limit=1;x=y', served: { resource: 'secrets', itemNamespaces: 'both' } },
    { target: '/api/v1/secrets?limit=%zz&limit=1', served: { resource: 'secrets', limit: 1 } },
    { target: '/api/v1/namespaces/default./secrets', served: { resource: 'secrets', namespace: 'default.', itemNamespaces: 'none' } },
    { target: '/api/v1/secrets.', served: { resource: 'secrets.', code: 404 } },
    { target: '/api/v1/secrets#x', served: { resource: 'secrets#x', code: 404 } },
    { target: '/api/v1/namespaces/default/%2e%2e/%2e%2e/secrets', refused: 404 },
    { target: '/api/v1/namespaces/default/%2E%2e/%2e%2E/secrets', refused: 404 },
    { target: '/api/v1/namespaces/default/../../secrets', refused: 404 },
    { target: 'https://evil/api/v1/namespaces/default/../../secrets', refused: 404 },
    { target: '/api/v1/./secrets', refused: 404 },
    { target: '/api/v1/%2E/secrets', refused: 404 },
    { target: '/api/v1/namespaces/./secrets', refused: 404 },
    { target: '/api/v1/namespaces/default/secrets/..', refused: 404 },
    { target: '//api/v1/secrets', refused: 404 },
    { target: '/api//v1/secrets', refused: 404 },
    { target: '/api/v1//secrets', refused: 404 },
    { target: '/api/v1/namespaces%2F%2Fsecrets', refused: 404 },
    { target: '/api/v1/%zz', refused: 400 },
    { target: '*', refused: 400 },
  ];
}

export type LogLine = Record<string, unknown>;

/**
 * Checks one row: `response` is what the client got, `line` the gateway's `request completed` line for
 * it, `report` what GET /debug/estimate says of the same target (the objects the estimate counts).
 */
export function checkHostileTarget(row: HostileRow, response: FetchResult, line: LogLine | undefined, report: { status: number; json: Record<string, unknown> }): void {
  const what = `${row.target}: ${response.status} ${response.text.slice(0, 200)}`;
  if (row.refused) {
    assert.equal(response.status, row.refused, what);
    const status = response.json as { kind?: string; code?: number; reason?: string };
    assert.equal(status.kind, 'Status', what);
    assert.equal(status.code, row.refused, what);
    if (row.unparsed) return;
    assert.match(String(line?.error), /^target_/, `${what}: the gateway refused it itself`);
    assert.equal(report.status, 400, `${what}: /debug/estimate refuses it too`);
    return;
  }
  const served = row.served!;
  assert.ok(line, `${what}: a request line`);
  assert.equal(line.kind, 'list', `${what}: classified as a list`);
  const target = line.target as { resource?: string; namespace?: string } | undefined;
  assert.equal(target?.resource, served.resource, what);
  assert.equal(target?.namespace, served.namespace, what);
  assert.deepEqual([report.json.kind, report.json.resource, report.json.namespace || undefined], ['list', served.resource, served.namespace], `${what}: /debug/estimate`);
  const objects = report.json.objects as number;
  if (served.limit !== undefined) assert.ok(objects <= served.limit, `${what}: the estimate read the limit (${objects} objects)`);
  else if (served.itemNamespaces !== 'none') assert.ok(objects > 1, `${what}: the estimate read no limit (${objects} objects)`);
  assert.equal(response.status, served.code ?? 200, what);
  if ((served.code ?? 200) !== 200) return;
  assert.ok(typeof line.estimatedBytes === 'number', what);
  const list = response.json as { kind: string; items: { metadata: { namespace: string } }[]; metadata: { continue?: string } };
  assert.equal(list.kind, 'SecretList', what);
  const namespaces = new Set(list.items.map((i) => i.metadata.namespace));
  if (served.limit !== undefined) {
    assert.equal(list.items.length, served.limit, `${what}: the upstream applied the limit the gateway read`);
    assert.ok(list.metadata.continue, what);
  } else {
    assert.equal(list.metadata.continue, undefined, `${what}: no limit was read, none applied`);
  }
  if (served.itemNamespaces === 'both') assert.ok(namespaces.size >= 2 && namespaces.has('default'), `${what}: cluster-wide (${[...namespaces].join(',')})`);
  if (served.itemNamespaces === 'default') assert.deepEqual([...namespaces], ['default'], `${what}: only default`);
  if (served.itemNamespaces === 'none') assert.equal(list.items.length, 0, what);
  if (served.namespace && served.itemNamespaces === undefined) assert.deepEqual([...namespaces], [served.namespace], what);
}
