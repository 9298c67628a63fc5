/**
 * The ops port (plain HTTP, its own listener): liveness, readiness and Prometheus metrics. Express lives
 * here and nowhere in the request path. Liveness says only that the process serves HTTP; readiness is
 * the AND of the named checks (readiness.ts), with `?verbose` listing each.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import { formatReadiness, type Readiness } from './readiness.js';

export interface OpsDeps {
  registry: Registry;
  readiness: Readiness;
  /** More read-only GET endpoints by path, framework-free (`/debug/estimate`: src/gateway/debug-estimate.ts). */
  routes?: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => void>>;
}

export function createOpsApp(deps: OpsDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const alive: express.RequestHandler = (_req, res) => {
    res.type('text/plain').send('ok');
  };
  app.get('/healthz', alive);
  app.get('/livez', alive);
  for (const [path, handle] of Object.entries(deps.routes ?? {})) app.get(path, (req, res) => handle(req, res));
  app.get('/readyz', async (req, res) => {
    const report = await deps.readiness.check();
    const verbose = req.query.verbose !== undefined;
    res.status(report.ready ? 200 : 503).type('text/plain').send(formatReadiness(report, verbose));
  });
  app.get('/metrics', async (_req, res) => {
    const body = await deps.registry.metrics();
    res.set('Content-Type', deps.registry.contentType).send(body);
  });
  return app;
}

export function createOpsServer(deps: OpsDeps): Server {
  const server = createServer(createOpsApp(deps));
  server.keepAliveTimeout = 5_000;
  return server;
}
