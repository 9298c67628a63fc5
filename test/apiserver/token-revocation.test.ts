/**
 * Token revocation through the gateway, on a real kube-apiserver: a service account's token is accepted
 * while a client uses it steadily (answered from the cache, revalidated in the background: far fewer
 * TokenReviews than requests), its ServiceAccount is deleted, and the gateway refuses the token (401)
 * no later than its TokenReview cache TTL (2 s here) after the apiserver itself starts refusing it. The
 * apiserver caches successful token authentications for 10 s itself, so the whole window from the
 * deletion is at most about 10 s plus the TTL. Real time: the apiserver's caches are on its own clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serviceAccountToken } from '../support/apiserver/cluster-objects.js';
import { startGatewayOnApiserver, type GatewayOnApiserver } from '../support/apiserver/gateway-on-apiserver.js';
import { startKubeApiserver, type KubeApiserver } from '../support/apiserver/kube-apiserver.js';

const TTL_MS = 2_000;
const STEP_MS = 200;
/** What the apiserver's own token cache adds (TokenSuccessCacheTTL), and a margin for its informer. */
const APISERVER_WINDOW_MS = 10_000 + 2_000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(gw: GatewayOnApiserver, series: string): Promise<number> {
  const text = await (await fetch(`${gw.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('token revocation through the gateway (real kube-apiserver)', () => {
  let kube: KubeApiserver;
  let gw: GatewayOnApiserver;

  before(async () => {
    kube = await startKubeApiserver();
    gw = await startGatewayOnApiserver(kube, { overrides: { authentication: { tokenReview: { cacheTTL: `${TTL_MS}ms` } } } });
  });
  after(async () => {
    await gw?.close();
    await kube?.stop();
  });

  it('refuses a deleted ServiceAccount\'s token within the TTL of the apiserver refusing it, without a review per request', async () => {
    const token = await serviceAccountToken(kube, 'default', 'short-lived', { expirationSeconds: 3600 });
    const viaGateway = async () => (await gw.request('/api', { token })).status;
    const reviewDirect = async () => {
      const r = await kube.request('/apis/authentication.k8s.io/v1/tokenreviews', {
        method: 'POST',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      return (r.json as { status?: { authenticated?: boolean } }).status?.authenticated === true;
    };

    // A steady client: three TTLs of requests, every one accepted.
    const busyRequests = Math.ceil((3 * TTL_MS) / STEP_MS);
    for (let i = 0; i < busyRequests; i++) {
      assert.equal(await viaGateway(), 200);
      await pause(STEP_MS);
    }
    const misses = await metric(gw, 'listgate_tokenreview_cache_total{result="miss"}');
    const hits = await metric(gw, 'listgate_tokenreview_cache_total{result="hit"}');
    assert.equal(misses + hits, busyRequests);
    assert.ok(misses <= 2, `the client waited for a TokenReview ${misses} times in ${busyRequests} requests`);
    assert.ok((await metric(gw, 'listgate_tokenreview_revalidations_total{result="positive"}')) >= 2, 'revalidated in the background');

    const deletion = await kube.request('/api/v1/namespaces/default/serviceaccounts/short-lived', { method: 'DELETE' });
    assert.equal(deletion.status, 200, deletion.text);
    const deletedAt = Date.now();
    let apiserverRefusedAt: number | undefined;
    let gatewayRefusedAt: number | undefined;
    while ((gatewayRefusedAt === undefined || apiserverRefusedAt === undefined) && Date.now() - deletedAt < APISERVER_WINDOW_MS + 2 * TTL_MS) {
      if (apiserverRefusedAt === undefined && !(await reviewDirect())) apiserverRefusedAt = Date.now();
      if (gatewayRefusedAt === undefined) {
        const status = await viaGateway();
        if (status === 401) gatewayRefusedAt = Date.now();
        else assert.equal(status, 200);
      }
      await pause(STEP_MS);
    }
    assert.ok(apiserverRefusedAt !== undefined, 'the apiserver refuses the token of a deleted ServiceAccount');
    assert.ok(gatewayRefusedAt !== undefined, 'the gateway refuses it too');
    const lag = gatewayRefusedAt - apiserverRefusedAt;
    const windowMs = gatewayRefusedAt - deletedAt;
    assert.ok(lag <= TTL_MS + 2 * STEP_MS, `the gateway refused it ${lag} ms after the apiserver did (TTL ${TTL_MS} ms)`);
    assert.ok(windowMs <= APISERVER_WINDOW_MS + TTL_MS, `refused ${windowMs} ms after the deletion`);
    // Refused from then on.
    assert.equal(await viaGateway(), 401);
  });
});
