/**
 * The ops port (plain HTTP, its own listener): liveness, readiness and Prometheus metrics. Express lives
 * here and nowhere in the request path.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import type { UpstreamProbe } from './upstream-probe.js';

export function createOpsApp(deps: { registry: Registry; probe: UpstreamProbe }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const alive: express.RequestHandler = (_req, res) => {
    res.type('text/plain').send('ok');
  };
  app.get('/healthz', alive);
  app.get('/livez', alive);
  app.get('/readyz', async (_req, res) => {
    const readiness = await deps.probe.check();
    res.status(readiness.ready ? 200 : 503).type('text/plain').send(readiness.ready ? 'ok' : readiness.detail);
  });
  app.get('/metrics', async (_req, res) => {
    const body = await deps.registry.metrics();
    res.set('Content-Type', deps.registry.contentType).send(body);
  });
  return app;
}

export function createOpsServer(deps: { registry: Registry; probe: UpstreamProbe }): Server {
  const server = createServer(createOpsApp(deps));
  server.keepAliveTimeout = 5_000;
  return server;
}
