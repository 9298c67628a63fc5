/**
 * Builds the routing webhook from the reloadable configuration: its HTTPS server (never listening here:
 * serve.ts and tests listen), the review handler, and the CA ConfigMaps it keeps, written with the
 * gateway's own credentials. On reload:
 * - webhook.tls files changed: new handshakes use the new pair (`setSecureContext`);
 * - the routing settings (gateway host and port, excluded namespaces, ConfigMap name): the next review;
 * - the CA bundle or the ConfigMap name changed: every routed namespace's ConfigMap is rewritten now;
 * - upstream credentials: the next ConfigMap call uses them.
 * webhook.enabled and webhook.listen need a restart; until then the last enabled settings stay.
 * `start()` learns which ConfigMaps exist and resyncs them every `caConfigMap.resyncInterval`.
 */
import type { Server } from 'node:https';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { loadClientNode } from '../auth/client-node.js';
import { createGatewayKubeConfig } from '../auth/gateway-kubeconfig.js';
import type { ConfigSnapshot, ConfigSource } from '../config/config-source.js';
import type { WebhookRouting } from '../config/schema-webhook.js';
import type { WebhookFiles } from '../config/read-webhook-files.js';
import { createReviewHandler } from './answer-review.js';
import { createCaConfigMaps } from './ca-configmaps.js';
import { createConfigMapApi, type ConfigMapApi } from './configmap-api.js';
import type { RoutingTarget } from './route-pod.js';
import { createWebhookMetrics } from './webhook-metrics.js';
import { createWebhookServer } from './webhook-server.js';

export interface RoutingWebhook {
  readonly server: Server;
  /** The first resync, then one every resync interval. */
  start(): void;
  /** Resolves when the resync running now (or the last one) has ended, whatever its result. */
  resynced(): Promise<void>;
  close(): void;
}

interface Enabled {
  routing: WebhookRouting;
  files: WebhookFiles;
}

function enabledIn(snapshot: ConfigSnapshot): Enabled | undefined {
  const webhook = snapshot.config.webhook;
  return webhook.enabled && snapshot.webhook ? { routing: webhook, files: snapshot.webhook } : undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Undefined when the configuration does not enable the webhook. */
export function createRoutingWebhook(deps: { source: ConfigSource; registry: Registry; logger: Logger }): RoutingWebhook | undefined {
  const initial = enabledIn(deps.source.snapshot());
  if (!initial) return undefined;
  // Its ConfigMap calls need client-node: loaded now, not inside the first review's time bound.
  void loadClientNode().catch(() => undefined);
  const logger = deps.logger.child({ component: 'webhook' });
  const metrics = createWebhookMetrics(deps.registry);
  let current = initial;
  const apiFor = (snapshot: ConfigSnapshot, routing: WebhookRouting): ConfigMapApi =>
    createConfigMapApi({ kubeConfig: createGatewayKubeConfig({ upstream: snapshot.config.upstream, files: snapshot.files.upstream }), timeoutMs: routing.caConfigMap.timeoutMs });
  const apiKey = (snapshot: ConfigSnapshot, routing: WebhookRouting) => JSON.stringify([snapshot.config.upstream, snapshot.files.upstream, routing.caConfigMap.timeoutMs]);
  let api = apiFor(deps.source.snapshot(), initial.routing);
  let currentApiKey = apiKey(deps.source.snapshot(), initial.routing);

  const caConfigMaps = createCaConfigMaps({
    api: () => api,
    wanted: () => ({ name: current.routing.caConfigMap.name, bundle: current.files.gatewayCa }),
    metrics,
    logger,
  });
  const target = (): RoutingTarget => {
    const { host, port, caConfigMap, excludedNamespaces } = current.routing;
    return { host, port, caConfigMap: caConfigMap.name, excludedNamespaces };
  };
  const handle = createReviewHandler({
    target,
    // The bound is on the calls, not on loading client-node (started at creation, shared).
    ensureCa: async (namespace) => {
      await loadClientNode();
      return withTimeout(caConfigMaps.ensure(namespace), current.routing.caConfigMap.timeoutMs, `writing the gateway CA ConfigMap in ${namespace}`);
    },
    metrics,
    logger,
  });
  const server = createWebhookServer({ tls: initial.files.serving, handle, metrics, logger });

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastResync: Promise<void> = Promise.resolve();
  const resync = (why: string): void => {
    lastResync = caConfigMaps.resync().then(
      () => logger.debug({ why }, 'gateway CA ConfigMaps resynced'),
      (err: unknown) => logger.warn({ err, why }, 'gateway CA ConfigMaps could not all be resynced; the next resync retries'),
    );
  };
  const schedule = (): void => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => {
      resync('interval');
      schedule();
    }, current.routing.caConfigMap.resyncIntervalMs);
    timer.unref();
  };

  const unsubscribe = deps.source.subscribe((next) => {
    const enabled = enabledIn(next);
    if (!enabled) return;
    const previous = current;
    current = enabled;
    if (enabled.files.serving.cert !== previous.files.serving.cert || enabled.files.serving.key !== previous.files.serving.key) {
      server.setSecureContext({ cert: enabled.files.serving.cert, key: enabled.files.serving.key });
      logger.info('webhook serving certificate reloaded; new connections use it');
    }
    const key = apiKey(next, enabled.routing);
    if (key !== currentApiKey) {
      api = apiFor(next, enabled.routing);
      currentApiKey = key;
    }
    if (enabled.files.gatewayCa !== previous.files.gatewayCa || enabled.routing.caConfigMap.name !== previous.routing.caConfigMap.name) resync('gateway CA changed');
    if (enabled.routing.caConfigMap.resyncIntervalMs !== previous.routing.caConfigMap.resyncIntervalMs && timer) schedule();
  });

  return {
    server,
    start() {
      resync('start');
      schedule();
    },
    resynced: () => lastResync,
    close() {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    },
  };
}
