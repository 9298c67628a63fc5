/**
 * The 429's hint speaks to the client that sent the request: which kind of client a User-Agent names,
 * and what each kind is told (Warning and Status message), with and without streaming lists upstream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LevelView } from '../../src/admit/budget.js';
import { STREAMING_HINT, WATCH_LIST_CLIENT_HINT } from '../../src/admit/list-hints.js';
import { buildRejection, type RejectionInput } from '../../src/admit/rejection.js';
import { classifyRequest } from '../../src/gateway/classify-request.js';
import { classifyClient, type ClientKind } from '../../src/k8s/client-kind.js';

const Mi = 1024 ** 2;

describe('the kind of client, from its User-Agent', () => {
  const rows: Array<[string | undefined, ClientKind]> = [
    ['kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07', 'kubectl'],
    ['kubectl.exe/v1.30.2 (windows/amd64) kubernetes/3968350', 'kubectl'],
    ['kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/deployment-controller', 'client-go'],
    ['manager/v0.0.0 (linux/amd64) kubernetes/$Format', 'client-go'],
    ['argocd-application-controller/v2.13.1+af54ef8 (linux/arm64) kubernetes/af54ef8', 'client-go'],
    ['my-operator/1.4.2 k8s.io/client-go/0.32.1', 'client-go'],
    ['Go-http-client/1.1', 'other'],
    ['Go-http-client/2.0', 'other'],
    ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'other'],
    ['OpenAPI-Generator/31.0.0/python', 'other'],
    ['curl/8.5.0', 'other'],
    ['kubectl-dispatcher/v1.0 (linux/amd64)', 'other'],
    ['Mozilla/5.0 (X11; Linux x86_64) kubernetes-dashboard', 'other'],
    ['', 'other'],
    [undefined, 'other'],
  ];
  for (const [agent, kind] of rows) {
    it(`${JSON.stringify(agent)} → ${kind}`, () => assert.equal(classifyClient(agent), kind));
  }

  it('classify reads it from the request headers into the typed context', () => {
    assert.equal(classifyRequest('GET', '/api/v1/secrets', { 'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07' }).client, 'kubectl');
    assert.equal(classifyRequest('GET', '/api/v1/secrets', {}).client, 'other');
  });
});

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

const input = (over: Partial<RejectionInput>): RejectionInput => ({
  reason: 'wait_exceeded',
  retryAfterSeconds: 4,
  // 1.5Mi per object; 200Mi free: pages of 130 fit now; 125Mi (a quarter of the level) for one never admitted.
  estimate: { class: 'list', estimatedBytes: 300 * Mi, objects: 200 },
  target: { resource: 'secrets', apiGroup: '' },
  level,
  budgetBytes: 1000 * Mi,
  effectiveBudgetBytes: 1000 * Mi,
  streaming: true,
  client: 'other',
  ...over,
});

const KUBECTL_130 =
  'list in smaller pages: kubectl get --chunk-size=130 (kubectl get pages by default, 500 objects a page; kubectl get --raw does not page: add ?limit=130 to its path and follow metadata.continue)';
const PAGE_130 = 'paginate with limit=130 and follow metadata.continue';
const PAGER_130 = 'paginate with limit=130 and follow metadata.continue (client-go: a tools/pager ListPager with PageSize)';

describe("the 429's hint, by client", () => {
  /** client, upstream streams, the Warning's hint, the ways a can-never-fit LIST's message gives (limit 97 there). */
  const rows: Array<[ClientKind, boolean, string, string]> = [
    ['kubectl', true, KUBECTL_130, KUBECTL_130.replaceAll('130', '97')],
    ['kubectl', false, KUBECTL_130, KUBECTL_130.replaceAll('130', '97')],
    ['client-go', true, WATCH_LIST_CLIENT_HINT, `${WATCH_LIST_CLIENT_HINT}; or ${PAGER_130.replace('130', '97')}`],
    ['client-go', false, PAGER_130, PAGER_130.replace('130', '97')],
    ['other', true, PAGE_130, `${PAGE_130.replace('130', '97')}; or ${STREAMING_HINT}`],
    ['other', false, PAGE_130, PAGE_130.replace('130', '97')],
  ];
  for (const [client, streaming, hint, ways] of rows) {
    it(`${client}, upstream ${streaming ? 'streams' : 'does not stream'}`, () => {
      const busy = buildRejection(input({ client, streaming }));
      assert.equal(busy.headers.Warning, `299 - "listgate: ${hint}"`);
      assert.ok(busy.status.message!.endsWith(`; retry after 4s, or ${hint}`), busy.status.message);
      const never = buildRejection(input({ client, streaming, reason: 'too_large', retryAfterSeconds: undefined, estimate: { class: 'list', estimatedBytes: 2048 * Mi, objects: 1000 } }));
      assert.ok(never.status.message!.endsWith(`it will never be admitted as it is: ${ways}`), never.status.message);
      assert.equal(never.headers.Warning, `299 - "listgate: ${ways.split('; or ')[0]}"`);
      if (client === 'kubectl') assert.doesNotMatch(never.status.message!, /sendInitialEvents|WatchListClient/, 'kubectl has no streaming list to switch on');
      if (!streaming) assert.doesNotMatch(`${never.status.message} ${never.headers.Warning}`, /sendInitialEvents/, 'no streaming list where the upstream serves none');
    });
  }

  it('a request that is not a LIST gets no list hint, whoever sends it', () => {
    for (const client of ['kubectl', 'client-go', 'other'] as const) {
      const r = buildRejection(input({ client, estimate: { class: 'deletecollection', estimatedBytes: 300 * Mi, objects: 200 } }));
      assert.equal(r.headers.Warning, undefined);
      assert.doesNotMatch(r.status.message!, /chunk-size|paginate|WatchListClient/);
    }
  });
});
