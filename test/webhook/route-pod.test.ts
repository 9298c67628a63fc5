/**
 * The routing patch on the pod shapes the apiserver sends: pods as the ServiceAccount admission plugin
 * leaves them (a kube-api-access-* projected volume), with init containers, existing variables, no
 * service-account volume, automountServiceAccountToken false, the host network, opt-outs, and a pod
 * routed twice (the same pod) or completed after another webhook added a container. Every patch is
 * applied with fast-json-patch, as the apiserver applies it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { routeEphemeralContainers, routePod, type RoutingDecision, type RoutingTarget } from '../../src/webhook/route-pod.js';

const TARGET: RoutingTarget = { host: 'listgate.listgate.svc', port: 443, caConfigMap: 'listgate-gateway-ca', excludedNamespaces: ['kube-system', 'listgate'] };
const ROUTED_ENV = [
  { name: 'KUBERNETES_SERVICE_HOST', value: 'listgate.listgate.svc' },
  { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
  { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: '443' },
];
const SA_MOUNT = { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };

/** A pod as stored after the ServiceAccount admission plugin ran (what a mutating webhook is sent). */
function pod(over: { spec?: Partial<NonNullable<V1Pod['spec']>>; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'app-', namespace: 'team-a', ...(over.labels ? { labels: over.labels } : {}), ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: {
      serviceAccountName: 'default',
      containers: [{ name: 'app', image: 'app:1', volumeMounts: [SA_MOUNT] }],
      volumes: [
        {
          name: 'kube-api-access-x7k2p',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      ...over.spec,
    },
  };
}

function apply(p: V1Pod, decision: RoutingDecision): V1Pod {
  if (decision.outcome !== 'routed' && decision.outcome !== 'amended') return p;
  return jsonpatch.applyPatch(structuredClone(p), decision.patch, true).newDocument;
}

describe('routing a pod', () => {
  it('points every container at the gateway, swaps the CA source, labels the pod, and a second pass changes nothing', () => {
    const before = pod({ labels: { app: 'web' } });
    const first = routePod(before, 'team-a', TARGET);
    assert.equal(first.outcome, 'routed');
    const after = apply(before, first);
    assert.deepEqual(after.metadata?.labels, { app: 'web', 'listgate.io/routed': 'true' });
    assert.deepEqual(after.spec?.containers[0]?.env, ROUTED_ENV);
    const sources = after.spec?.volumes?.[0]?.projected?.sources ?? [];
    assert.deepEqual(sources[1], { configMap: { name: 'listgate-gateway-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    assert.deepEqual(sources[0], before.spec?.volumes?.[0]?.projected?.sources?.[0], 'the token source is kept');
    assert.deepEqual(routePod(after, 'team-a', TARGET), { outcome: 'unchanged' }, 'routing the routed pod again is a no-op');
  });

  it('puts the variables first in a container that has its own, so its $(KUBERNETES_SERVICE_HOST) references see the gateway', () => {
    const before = pod({
      spec: {
        containers: [{ name: 'app', image: 'app:1', env: [{ name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST)' }, { name: 'LOG', value: 'debug' }] }],
      },
    });
    const after = apply(before, routePod(before, 'team-a', TARGET));
    assert.deepEqual(after.spec?.containers[0]?.env, [...ROUTED_ENV, { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST)' }, { name: 'LOG', value: 'debug' }]);
  });

  it('routes init containers too, and leaves the order and fields of every container as they were', () => {
    const before = pod({
      spec: {
        initContainers: [{ name: 'migrate', image: 'm:1' }, { name: 'wait', image: 'w:1', env: [] }],
        containers: [{ name: 'app', image: 'app:1' }, { name: 'sidecar', image: 's:1', args: ['--x'] }],
      },
    });
    const after = apply(before, routePod(before, 'team-a', TARGET));
    assert.deepEqual(after.spec?.initContainers?.map((c) => [c.name, c.env]), [['migrate', ROUTED_ENV], ['wait', ROUTED_ENV]]);
    assert.deepEqual(after.spec?.containers.map((c) => [c.name, c.env, c.args]), [['app', ROUTED_ENV, undefined], ['sidecar', ROUTED_ENV, ['--x']]]);
  });

  it('completes a routed pod whose containers a later webhook added (reinvocation), touching nothing else', () => {
    const routed = apply(pod(), routePod(pod(), 'team-a', TARGET));
    const withSidecar: V1Pod = structuredClone(routed);
    withSidecar.spec!.containers.push({ name: 'proxy', image: 'proxy:1' }, { name: 'own', image: 'o:1', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.1' }] });
    const decision = routePod(withSidecar, 'team-a', TARGET);
    assert.equal(decision.outcome, 'amended');
    const after = apply(withSidecar, decision);
    assert.deepEqual(after.spec?.containers.map((c) => c.env), [ROUTED_ENV, ROUTED_ENV, [{ name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.1' }]]);
    assert.deepEqual(routePod(after, 'team-a', TARGET), { outcome: 'unchanged' });
  });

  it('gives a routed pod\'s new ephemeral containers the variables, and leaves an unrouted pod\'s alone', () => {
    const routed = apply(pod(), routePod(pod(), 'team-a', TARGET));
    const debugged = structuredClone(routed);
    debugged.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox' }];
    const decision = routeEphemeralContainers(debugged, routed, TARGET);
    assert.deepEqual(decision, { outcome: 'amended', patch: [{ op: 'add', path: '/spec/ephemeralContainers/0/env', value: ROUTED_ENV }] });
    assert.deepEqual(routeEphemeralContainers(apply(debugged, decision), routed, TARGET), { outcome: 'unchanged' });
    const unrouted = pod({ spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] } });
    assert.deepEqual(routeEphemeralContainers(unrouted, pod(), TARGET), { outcome: 'skipped', reason: 'not-routed' });
  });

  it('never touches an ephemeral container the pod had already (the apiserver refuses a change to one)', () => {
    const routed = apply(pod(), routePod(pod(), 'team-a', TARGET));
    // One added while the webhook was unreachable (failurePolicy Ignore): stored without the variables.
    const before = structuredClone(routed);
    before.spec!.ephemeralContainers = [{ name: 'missed', image: 'busybox' }];
    const after = structuredClone(before);
    after.spec!.ephemeralContainers!.push({ name: 'debugger', image: 'busybox' });
    assert.deepEqual(routeEphemeralContainers(after, before, TARGET), { outcome: 'amended', patch: [{ op: 'add', path: '/spec/ephemeralContainers/1/env', value: ROUTED_ENV }] });
    assert.deepEqual(routeEphemeralContainers(before, routed, TARGET).outcome, 'amended', 'the missed one was new in its own update');
    assert.deepEqual(routeEphemeralContainers(after, undefined, TARGET), { outcome: 'skipped', reason: 'no-old-object' });
  });

  it('leaves the ephemeral containers of a routed pod that opts out alone', () => {
    const routed = apply(pod(), routePod(pod(), 'team-a', TARGET));
    routed.metadata!.annotations = { 'listgate.io/route': 'false' };
    const debugged = structuredClone(routed);
    debugged.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox' }];
    assert.deepEqual(routeEphemeralContainers(debugged, routed, TARGET), { outcome: 'skipped', reason: 'opted-out' });
  });

  it('adds the labels object when the pod has none, with the key escaped as RFC 6901 asks', () => {
    const decision = routePod(pod(), 'team-a', TARGET);
    assert.ok(decision.outcome === 'routed');
    assert.deepEqual(decision.patch[0], { op: 'add', path: '/metadata/labels', value: { 'listgate.io/routed': 'true' } });
    const labelled = routePod(pod({ labels: { app: 'web' } }), 'team-a', TARGET);
    assert.ok(labelled.outcome === 'routed');
    assert.deepEqual(labelled.patch[0], { op: 'add', path: '/metadata/labels/listgate.io~1routed', value: 'true' });
  });

  it('routes host-network pods only when they resolve cluster names or the gateway is an IP', () => {
    const hostNet = pod({ spec: { hostNetwork: true } });
    assert.deepEqual(routePod(hostNet, 'team-a', TARGET), { outcome: 'skipped', reason: 'host-network' });
    assert.equal(routePod(pod({ spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } }), 'team-a', TARGET).outcome, 'routed');
    assert.equal(routePod(hostNet, 'team-a', { ...TARGET, host: '10.96.0.20' }).outcome, 'routed');
  });

  const skipped: [string, V1Pod, string, string][] = [
    ['a container that sets KUBERNETES_SERVICE_HOST itself', pod({ spec: { containers: [{ name: 'a', image: 'a', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'api.example.com' }] }] } }), 'team-a', 'sets-own-environment'],
    ['an init container that sets KUBERNETES_SERVICE_PORT itself', pod({ spec: { initContainers: [{ name: 'i', image: 'i', env: [{ name: 'KUBERNETES_SERVICE_PORT', value: '6443' }] }] } }), 'team-a', 'sets-own-environment'],
    ['automountServiceAccountToken: false (no service-account volume)', pod({ spec: { automountServiceAccountToken: false, volumes: [] } }), 'team-a', 'no-service-account-volume'],
    ['no volumes at all', pod({ spec: { volumes: undefined } }), 'team-a', 'no-service-account-volume'],
    ['a projected volume without a token', pod({ spec: { volumes: [{ name: 'cfg', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } }] } }), 'team-a', 'no-service-account-volume'],
    ['the annotation listgate.io/route: "false"', pod({ annotations: { 'listgate.io/route': 'false' } }), 'team-a', 'opted-out'],
    ['the label listgate.io/route: "false"', pod({ labels: { 'listgate.io/route': 'false' } }), 'team-a', 'opted-out'],
    ['kube-system', pod(), 'kube-system', 'excluded-namespace'],
    ["listgate's own namespace", pod(), 'listgate', 'excluded-namespace'],
  ];
  for (const [name, p, namespace, reason] of skipped) {
    it(`leaves alone a pod with ${name}`, () => {
      assert.deepEqual(routePod(p, namespace, TARGET), { outcome: 'skipped', reason });
    });
  }

  it('swaps the CA source of a token volume made by hand, and of every token volume the pod has', () => {
    const manual = pod();
    manual.spec!.volumes!.push({
      name: 'token-for-vault',
      projected: { sources: [{ configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { serviceAccountToken: { path: 'token', audience: 'vault' } }] },
    });
    const after = apply(manual, routePod(manual, 'team-a', TARGET));
    assert.equal(after.spec?.volumes?.[0]?.projected?.sources?.[1]?.configMap?.name, 'listgate-gateway-ca');
    assert.equal(after.spec?.volumes?.[1]?.projected?.sources?.[0]?.configMap?.name, 'listgate-gateway-ca');
  });
});
