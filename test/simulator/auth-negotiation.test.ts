/**
 * Authentication (client certificates, static tokens, impersonation), the request log, TokenReview and
 * SelfSubjectReview, content negotiation (JSON, Table, PartialObjectMetadata[List], 406), routing errors,
 * and the /metrics names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCA, issueClientCert } from '../../src/certs/pki.js';
import { fetchSim, startTestSimulator, type TestSimulator } from '../support/simulator-fixture.js';

const TOKENS = {
  'tok-jane': { user: 'jane', groups: ['developers'], uid: 'uid-jane' },
  'tok-bot': { user: 'system:serviceaccount:default:bot', groups: ['system:serviceaccounts'] },
};

interface Review {
  kind: string;
  apiVersion: string;
  status: { authenticated?: boolean; user?: Record<string, unknown>; audiences?: string[]; userInfo?: Record<string, unknown> };
}

describe('authentication, reviews and negotiation', { timeout: 60_000 }, () => {
  let t: TestSimulator;
  before(async () => {
    t = await startTestSimulator({ tokens: TOKENS, seed: { namespaces: 0, secrets: 3, secretSize: 8, configmaps: 0, pods: 0, deployments: 0 }, gcHoldMs: 0 });
  });
  after(() => t.close());

  it('answers 401 Unauthorized without valid credentials', async () => {
    const stranger = issueClientCert(createCA('other-ca'), { commonName: 'mallory', groups: ['system:masters'] });
    for (const opts of [{ cert: null }, { cert: null, headers: { Authorization: 'Bearer nope' } }, { cert: stranger }]) {
      const r = await fetchSim(t, '/api/v1/secrets', opts);
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
  });

  it('authenticates certificates and tokens and records who asked', async () => {
    assert.equal((await fetchSim(t, '/api/v1/namespaces/default/secrets?limit=1')).status, 200);
    assert.equal((await fetchSim(t, '/api/v1/namespaces', { cert: null, headers: { Authorization: 'Bearer tok-jane' } })).status, 200);
    const seen = t.sim.stats.requests();
    const admin = seen.find((s) => s.path === '/api/v1/namespaces/default/secrets?limit=1');
    assert.deepEqual(admin, { method: 'GET', path: '/api/v1/namespaces/default/secrets?limit=1', user: 'admin', groups: ['system:masters', 'system:authenticated'], code: 200 });
    const jane = seen.find((s) => s.path === '/api/v1/namespaces');
    assert.deepEqual([jane?.user, jane?.groups, jane?.uid, jane?.code], ['jane', ['developers', 'system:authenticated'], 'uid-jane', 200]);
    assert.ok(seen.some((s) => s.code === 401 && s.user === ''), 'refused requests are recorded too');
  });

  it('honours impersonation headers', async () => {
    const r = await fetchSim(t, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      body: {},
      headers: { 'Impersonate-User': 'alice', 'Impersonate-Group': 'team-a', 'Impersonate-Extra-Scopes': 'read' },
    });
    assert.equal(r.status, 201);
    assert.deepEqual((r.json as Review).status.userInfo, { username: 'alice', groups: ['team-a', 'system:authenticated'], extra: { scopes: ['read'] } });
    const last = t.sim.stats.requests().at(-1)!;
    assert.deepEqual([last.user, last.extra], ['alice', { scopes: ['read'] }]);
  });

  it('reviews static tokens of the token table, uid included (TokenReview)', async () => {
    const review = async (spec: Record<string, unknown>): Promise<{ status: number; body: Review }> => {
      const r = await fetchSim(t, '/apis/authentication.k8s.io/v1/tokenreviews', { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec } });
      return { status: r.status, body: r.json as Review };
    };
    const good = await review({ token: 'tok-jane' });
    assert.equal(good.status, 201);
    assert.equal(good.body.kind, 'TokenReview');
    assert.equal(good.body.apiVersion, 'authentication.k8s.io/v1');
    assert.deepEqual(good.body.status, {
      authenticated: true,
      user: { username: 'jane', uid: 'uid-jane', groups: ['developers', 'system:authenticated'] },
      audiences: ['https://kubernetes.default.svc.cluster.local'],
    });
    // Unknown tokens, audiences and a missing token are held to a real apiserver by test/contract/reviews.contract.ts.
  });

  it('answers SelfSubjectReview with the caller identity (kubectl auth whoami)', async () => {
    const r = await fetchSim(t, '/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(r.status, 201);
    assert.deepEqual((r.json as Review).status.userInfo, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('negotiates Table, PartialObjectMetadataList and PartialObjectMetadata, and 406 otherwise', async () => {
    const table = await fetchSim(t, '/api/v1/namespaces/default/secrets?limit=2', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    const tb = table.json as { kind: string; metadata: { continue?: string; remainingItemCount?: number }; rows: unknown[] };
    assert.deepEqual([tb.kind, tb.rows.length, tb.metadata.remainingItemCount], ['Table', 2, 1]);
    assert.ok(tb.metadata.continue);

    const partial = await fetchSim(t, '/api/v1/namespaces/default/secrets', { headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } });
    const pl = partial.json as { kind: string; apiVersion: string; items: { kind: string; apiVersion: string; metadata: { name: string }; data?: unknown }[] };
    assert.deepEqual([pl.kind, pl.apiVersion], ['PartialObjectMetadataList', 'meta.k8s.io/v1']);
    assert.deepEqual(pl.items.map((i) => [i.kind, i.apiVersion, i.metadata.name, i.data]), [
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'secret-0', undefined],
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'secret-1', undefined],
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'secret-2', undefined],
    ]);

    const one = await fetchSim(t, '/api/v1/namespaces/default/secrets/secret-1', { headers: { Accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' } });
    assert.equal((one.json as { kind: string }).kind, 'PartialObjectMetadata');

    const wrong = await fetchSim(t, '/api/v1/namespaces/default/secrets', { headers: { Accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' } });
    assert.equal(wrong.status, 406);
    assert.equal((wrong.json as { message: string }).message, 'you requested PartialObjectMetadata, but the requested object is a list (*core.SecretList)');

    const proto = await fetchSim(t, '/api/v1/namespaces/default/secrets', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(proto.status, 406);
    assert.deepEqual([(proto.json as { reason: string }).reason, (proto.json as { code: number }).code], ['NotAcceptable', 406]);
    const fallback = await fetchSim(t, '/api/v1/namespaces/default/secrets', { headers: { Accept: 'application/vnd.kubernetes.protobuf, application/json' } });
    assert.equal(fallback.status, 200);
  });

  it('answers 404 and 405 for what it does not serve', async () => {
    const unknown = await fetchSim(t, '/api/v1/widgets');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json as { message: string }).message, 'the server could not find the requested resource');
    assert.equal((await fetchSim(t, '/no/such/path')).status, 404);
    assert.equal((await fetchSim(t, '/apis/authentication.k8s.io/v1/tokenreviews')).status, 405);
    assert.equal((await fetchSim(t, '/api/v1/namespaces/default/namespaces')).status, 404);
  });

  it('exposes the apiserver and simulator metrics', async () => {
    const r = await fetchSim(t, '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    for (const re of [
      /^apiserver_storage_objects\{resource="secrets"\} \d+$/m,
      /^apiserver_storage_objects\{resource="deployments\.apps"\} 0$/m,
      /^simulator_inflight_response_bytes 0$/m,
      /^simulator_peak_inflight_response_bytes [1-9]\d*$/m,
      /^simulator_oom_kills_total 0$/m,
      /^apiserver_request_total\{verb="LIST",resource="secrets",code="200"\} [1-9]\d*$/m,
      /^apiserver_request_total\{verb="POST",resource="tokenreviews",code="201"\} [1-9]\d*$/m,
      /^process_resident_memory_bytes [1-9]/m,
    ]) {
      assert.match(r.text, re);
    }
  });
});
