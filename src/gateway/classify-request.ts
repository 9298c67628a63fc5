/**
 * classify: what a request asks of the apiserver, from its method, URL and headers alone. The RequestInfo
 * rules of k8s.io/apiserver (verb, group, version, namespace, resource, subresource, name), the read
 * parameters, the Accept representation, and the kind the later steps branch on:
 * - list: a GET on a collection without watch; the only kind `estimate` and `admit` weigh;
 * - watch, and streamingList (a watch with sendInitialEvents=true, the memory-friendly way to list);
 * - get: a single object or a read of a subresource; write: create/update/patch/delete/deletecollection;
 * - connect: exec/attach/portforward/proxy subresources, the deprecated /proxy/ path verb, any upgrade;
 * - log: pods/log; nonResource: discovery, /version, /healthz, /openapi and everything else.
 * And which kind of client sent it (its User-Agent: kubectl, client-go, other), for advice addressed to it.
 * The request target is read once, as the apiserver reads it (src/k8s/request-target.ts), and kept as
 * `target`: every later step, and the proxy, read that; a target the apiserver would not serve as its
 * plain path is refused here (RequestTargetError). Pure and framework-free.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { classifyClient, type ClientKind } from '../k8s/client-kind.js';
import { parseListOptions, type ListOptions } from '../k8s/list-options.js';
import { listFactsOf, type ListFacts } from '../estimate/list-facts.js';
import { negotiateRepresentation, type Representation } from '../k8s/media-type.js';
import { resolveRequestInfo, type RequestInfo } from '../k8s/request-info.js';
import { parseRequestTarget, type RequestTarget, type TargetRefusal } from '../k8s/request-target.js';

export type RequestKind = 'list' | 'watch' | 'streamingList' | 'get' | 'write' | 'connect' | 'log' | 'nonResource';

export interface Classification {
  kind: RequestKind;
  /** The target as the apiserver reads it, and the origin-form one to forward. */
  target: RequestTarget;
  info: RequestInfo;
  /** The read parameters (parsed for every request; meaningful for list, watch and get). */
  listOptions: ListOptions;
  /** Undefined when no representation in Accept is one the apiserver serves (it will answer 406). */
  representation: Representation | undefined;
  /** The client asked to switch protocols (WebSocket or SPDY). */
  upgrade: boolean;
  /** Who sent it, from the User-Agent (src/k8s/client-kind.ts): a 429's hint speaks to it. */
  client: ClientKind;
  /** A LIST's or DELETECOLLECTION's facts, made once here (src/estimate/list-facts.ts); undefined otherwise. */
  list: ListFacts | undefined;
}

const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `Connection: Upgrade` together with an `Upgrade` header, as RFC 9110 §7.8 requires. */
export function isUpgradeRequest(headers: IncomingHttpHeaders): boolean {
  const connection = headerText(headers.connection) ?? '';
  const tokens = connection.split(',').map((t) => t.trim().toLowerCase());
  return tokens.includes('upgrade') && (headerText(headers.upgrade) ?? '') !== '';
}

function kindOf(info: RequestInfo, listOptions: ListOptions, upgrade: boolean): RequestKind {
  if (!info.isResourceRequest) return 'nonResource';
  if (upgrade || info.verb === 'proxy' || CONNECT_SUBRESOURCES.has(info.subresource)) return 'connect';
  if (info.subresource === 'log') return 'log';
  switch (info.verb) {
    case 'list':
      return 'list';
    case 'watch':
      return listOptions.sendInitialEvents === true ? 'streamingList' : 'watch';
    case 'get':
      return 'get';
    default:
      // create, update, patch, delete, deletecollection; and methods the apiserver has no verb for
      // (it refuses them): not reads either way.
      return 'write';
  }
}

/** A request target the apiserver would not serve as its plain path. */
export class RequestTargetError extends Error {
  constructor(readonly refusal: TargetRefusal) {
    super(`request target refused: ${refusal}`);
    this.name = 'RequestTargetError';
  }
}

/** Throws RequestTargetError for a target that is refused (src/k8s/request-target.ts). */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders): Classification {
  const read = parseRequestTarget(url);
  if (!read.ok) throw new RequestTargetError(read.refusal);
  const { target } = read;
  const { path, query } = target;
  const info = resolveRequestInfo(method, path, query);
  const listOptions = parseListOptions(query);
  const upgrade = isUpgradeRequest(headers);
  const representation = negotiateRepresentation(headerText(headers.accept));
  const listing = info.isResourceRequest && (info.verb === 'list' || info.verb === 'deletecollection');
  return {
    kind: kindOf(info, listOptions, upgrade),
    target,
    info,
    listOptions,
    representation,
    upgrade,
    client: classifyClient(headerText(headers['user-agent'])),
    list: listing ? listFactsOf({ info, options: listOptions, representation }) : undefined,
  };
}
