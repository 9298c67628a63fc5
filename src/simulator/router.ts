/**
 * The simulator's request chain, in one place: authenticate → record → classify (RequestInfo) → priority
 * and fairness (flow-control.ts) → authorize → non-resource or resource → scope and verb checks →
 * negotiate → handler. Upgrades (pods/exec, pods/portforward) go through the same authentication and a
 * pod lookup before the exec or port-forward server takes the socket.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { negotiateRepresentation, type Representation } from '../k8s/media-type.js';
import { resolveRequestInfo, type RequestInfo } from '../k8s/request-info.js';
import { describeRefusal, parseRequestTarget } from '../k8s/request-target.js';
import { failureStatus, type Status } from '../k8s/status.js';
import { badRequest, internalError, methodNotAllowed, notAcceptable, resourceNotFound } from './api-errors.js';
import type { Identity } from './authn.js';
import { forbidden } from './authorizer.js';
import type { ResourceRequest, SimulatorContext } from './context.js';
import { serveDelete, serveDeleteCollection } from './delete-handlers.js';
import { serveNonResource } from './discovery.js';
import type { ExecServer } from './exec.js';
import { writeTooManyRequests, type FlowControl } from './flow-control.js';
import type { PortForwardServer } from './port-forward.js';
import { sendStatus } from './http-io.js';
import { serveList } from './list-handler.js';
import { identifyRequest } from './identify.js';
import { streamPodLogs } from './logs.js';
import { notFound, requestKey, serveCreate, serveGet, serveUpdate } from './object-handlers.js';
import { servePatch } from './patch-handler.js';
import type { RequestLog, SeenRequest } from './request-log.js';
import { findResource, isStored, type ResourceDef } from './resources.js';
import { serveReview } from './reviews.js';
import { serveScale } from './scale.js';
import { serveWatch } from './watch-handler.js';

export interface RouterDeps extends SimulatorContext {
  requestLog: RequestLog;
  /** Keep each request's raw headers in the request log (tests of what a proxy forwards). */
  recordHeaders: boolean;
  exec: ExecServer;
  portForward: PortForwardServer;
  flowControl: FlowControl;
}

/**
 * The target as kube-apiserver reads it (src/k8s/request-target.ts): absolute-form served as its path,
 * no dot-segment resolution; what it would not serve as a plain path is answered 404 (dot and empty
 * segments) or 400, as the real server does.
 */
function readTarget(raw: string | undefined): { pathname: string; searchParams: URLSearchParams; refused?: Status } {
  const read = parseRequestTarget(raw ?? '/');
  if (read.ok) return { pathname: read.target.path, searchParams: read.target.query };
  const notServed = read.refusal === 'dot_segment' || read.refusal === 'empty_segment';
  return { pathname: '', searchParams: new URLSearchParams(), refused: notServed ? resourceNotFound() : badRequest(describeRefusal(read.refusal)) };
}

const PLAIN_JSON: Representation = { encoding: 'json', as: 'object', mediaType: 'application/json' };

/** apiserver_request_total's verb label (endpoints/metrics CleanVerb): LIST and WATCH, else the method. */
function metricVerb(method: string, info: RequestInfo): string {
  if (info.verb === 'list') return 'LIST';
  if (info.verb === 'watch') return 'WATCH';
  if (info.subresource === 'exec' || info.subresource === 'portforward') return 'CONNECT';
  return method.toUpperCase();
}

function seen(req: IncomingMessage, identity: Identity | undefined, recordHeaders: boolean): SeenRequest {
  return {
    ...(recordHeaders ? { headers: [...req.rawHeaders] } : {}),
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    user: identity?.user ?? '',
    groups: identity?.groups ?? [],
    ...(identity?.uid ? { uid: identity.uid } : {}),
    ...(identity?.extra ? { extra: identity.extra } : {}),
  };
}

/** Resource routing problems: unknown resource, wrong scope, unsupported verb or subresource. */
function resolveDef(info: RequestInfo): ResourceDef | Status {
  const def = findResource(info.apiGroup, info.apiVersion, info.resource);
  if (!def) return resourceNotFound();
  // RequestInfo puts a namespace's own name in `namespace` too (/api/v1/namespaces/foo), as upstream does.
  const namespaceItself = def.resource === 'namespaces' && info.name === info.namespace;
  if (info.namespace && !def.namespaced && !namespaceItself) return resourceNotFound();
  if (info.subresource && !def.subresources?.includes(info.subresource)) return resourceNotFound();
  const collectionOnly = ['list', 'watch', 'create', 'deletecollection'].includes(info.verb);
  if (def.namespaced && !info.namespace && !collectionOnly && info.name) return resourceNotFound();
  if (def.namespaced && !info.namespace && (info.verb === 'create' || info.verb === 'deletecollection') && isStored(def)) return methodNotAllowed();
  if (!info.subresource && !def.verbs.includes(info.verb)) return methodNotAllowed();
  return def;
}

/** The authorizer's verdict on a resource request: undefined when allowed, else the 403 Status. */
function authorizeResource(deps: RouterDeps, identity: Identity, info: RequestInfo): Status | undefined {
  const attrs = { verb: info.verb, group: info.apiGroup, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name };
  return deps.authorizer.authorizeResource(identity, attrs).allowed ? undefined : forbidden(identity, attrs);
}

/** The authorization filter's refusal of a path (details empty, as responsewriters.Forbidden writes them). */
function nonResourceForbidden(user: string, verb: string, path: string): Status {
  const status = failureStatus(403, 'Forbidden', `forbidden: User ${JSON.stringify(user)} cannot ${verb} path ${JSON.stringify(path)}`);
  status.details = {};
  return status;
}

/**
 * A path nobody serves: go-restful's JSON 404 under /api/ (the core group's web service), the mux's plain
 * "404 page not found" elsewhere (unknown groups included).
 */
function notFoundPath(res: ServerResponse, path: string): void {
  if (path.startsWith('/api/')) return sendStatus(res, resourceNotFound());
  res.writeHead(404, { 'Cache-Control': 'no-cache, private', 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end('404 page not found\n');
}

export function createRouter(deps: RouterDeps): {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
} {
  const dispatch = async (r: ResourceRequest): Promise<void> => {
    const { info } = r;
    if (!isStored(r.def)) return info.verb === 'create' ? serveReview(deps, r) : sendStatus(r.res, methodNotAllowed());
    if (info.subresource === 'log') {
      if (info.verb !== 'get') return sendStatus(r.res, methodNotAllowed());
      const pod = deps.store.get(r.def, requestKey(r));
      return pod ? streamPodLogs(r.req, r.res, pod.obj, r.query, { now: deps.now }) : sendStatus(r.res, notFound(r));
    }
    if (info.subresource === 'exec' || info.subresource === 'portforward') return sendStatus(r.res, badRequest('Upgrade request required'));
    if (info.subresource === 'scale') return serveScale(deps, r);
    if (info.subresource === 'status' && !['get', 'update', 'patch'].includes(info.verb)) return sendStatus(r.res, methodNotAllowed());
    switch (info.verb) {
      case 'get': return serveGet(deps, r);
      case 'list': return serveList(deps, r);
      case 'watch': return serveWatch(deps, r);
      case 'create': return serveCreate(deps, r);
      case 'update': return serveUpdate(deps, r);
      case 'patch': return servePatch(deps, r);
      case 'delete': return serveDelete(deps, r);
      case 'deletecollection': return serveDeleteCollection(deps, r);
      default: return sendStatus(r.res, methodNotAllowed());
    }
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = readTarget(req.url);
    const who = identifyRequest(req, deps);
    const entry = deps.requestLog.add(seen(req, who.ok ? who.identity : who.recorded, deps.recordHeaders));
    const info = resolveRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    if (url.refused) return sendStatus(res, url.refused);
    res.once('close', () => {
      entry.code = res.statusCode;
      deps.metrics.countRequest(metricVerb(req.method ?? 'GET', info), info.resource, res.statusCode);
    });
    if (!who.ok) return sendStatus(res, who.status);
    const { identity } = who;
    const seat = deps.flowControl.admit(identity.user, info.verb === 'watch');
    if (!seat) return writeTooManyRequests(res);
    res.once('close', seat);
    if (!info.isResourceRequest) {
      const verb = (req.method ?? 'GET').toLowerCase();
      const decision = deps.authorizer.authorizeNonResource(identity, verb === 'head' ? 'get' : verb, url.pathname);
      if (!decision.allowed) return sendStatus(res, nonResourceForbidden(identity.user, verb, url.pathname));
    }
    if (url.pathname === '/metrics') {
      deps.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': deps.metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => sendStatus(res, internalError(`collecting metrics: ${(err as Error).message}`)),
      );
      return;
    }
    if (!info.isResourceRequest) {
      if (!serveNonResource(req, res, { watchList: deps.watchList, profile: deps.profile })) notFoundPath(res, url.pathname);
      return;
    }
    const def = resolveDef(info);
    if ('code' in def) return sendStatus(res, def);
    const denied = authorizeResource(deps, identity, info);
    if (denied) return sendStatus(res, denied);
    // Logs are text/plain whatever the client accepts; everything else is negotiated.
    const rep = info.subresource === 'log' ? PLAIN_JSON : negotiateRepresentation(req.headers.accept, ['json']);
    if (!rep) return sendStatus(res, notAcceptable('only the following media types are accepted: application/json'));
    dispatch({ req, res, info, def, query: url.searchParams, identity, rep }).catch((err: unknown) => {
      deps.logger.error({ err, url: req.url }, 'simulator handler failed');
      sendStatus(res, internalError((err as Error).message));
    });
  };

  const rejectRaw = (socket: Duplex, status: Status): void => {
    const body = JSON.stringify(status);
    socket.end(
      `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = readTarget(req.url);
    const who = identifyRequest(req, deps);
    const entry = deps.requestLog.add(seen(req, who.ok ? who.identity : who.recorded, deps.recordHeaders));
    const info = resolveRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const reject = (status: Status): void => {
      entry.code = status.code;
      deps.metrics.countRequest('CONNECT', info.resource, status.code);
      rejectRaw(socket, status);
    };
    if (url.refused) return reject(url.refused);
    if (!who.ok) return reject(who.status);
    const def = info.isResourceRequest ? resolveDef(info) : resourceNotFound();
    if ('code' in def) return reject(def);
    const denied = authorizeResource(deps, who.identity, info);
    if (denied) return reject(denied);
    const streaming = info.subresource === 'exec' || info.subresource === 'portforward';
    if (def.resource !== 'pods' || !streaming) return reject(badRequest('this resource does not support upgrades'));
    const pod = deps.store.get(def, `${info.namespace}/${info.name}`);
    if (!pod) return reject(notFound({ def, info } as ResourceRequest));
    entry.code = 101;
    deps.metrics.countRequest('CONNECT', info.resource, 101);
    if (info.subresource === 'portforward') return deps.portForward.handleUpgrade(req, socket, head, pod.obj);
    deps.exec.handleUpgrade(req, socket, head, pod.obj, url.searchParams);
  };

  return { handleRequest, handleUpgrade };
}
