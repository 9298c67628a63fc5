/**
 * The non-resource surface of the simulated kube-apiserver: /version, health checks, API discovery (both the
 * aggregated apidiscovery.k8s.io/v2 documents kubectl 1.32 asks for first and the legacy APIVersions /
 * APIGroupList / APIGroup / APIResourceList documents), and OpenAPI v3 (openapi.ts). Everything is generated
 * from the RESOURCES registry.
 *
 * Sources: client-go discovery/discovery_client.go (Accept `AcceptV2,AcceptV2Beta1,application/json`; the
 * response Content-Type decides aggregated vs legacy), k8s.io/api/apidiscovery/v2/types.go,
 * apiserver/pkg/endpoints/discovery/{aggregated/handler.go,storageversionhash.go,legacy.go,group.go,version.go},
 * apiserver/pkg/server/healthz/healthz.go.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAccept } from '../k8s/media-type.js';
import { failureStatus, writeStatus } from '../k8s/status.js';
import { serveOpenAPI } from './openapi.js';
import { RESOURCES, groupVersion, isStored, type ResourceDef } from './resources.js';
import { versionProfile, type VersionProfile } from './version-profile.js';

export interface NonResourceContext {
  /**
   * Whether the simulated server has the WatchList feature gate on. No non-resource document of a 1.32
   * server depends on it (the gate shows only in /metrics as kubernetes_feature_enabled, which core serves).
   */
  watchList: boolean;
  /** The release /version and the OpenAPI info block report (default: 1.32). */
  profile?: VersionProfile;
}

type Doc = Record<string, unknown>;

/** Kind (and its group/version when not the resource's) and verbs of a subresource, as kube-apiserver publishes them. */
function subresourceInfo(def: ResourceDef, sub: string): { kind: string; verbs: string[]; group?: string; version?: string } {
  if (sub === 'status') return { kind: def.kind, verbs: ['get', 'patch', 'update'] };
  if (sub === 'scale') return { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
  if (sub === 'exec') return { kind: 'PodExecOptions', verbs: ['create', 'get'] };
  if (sub === 'portforward') return { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
  return { kind: def.kind, verbs: ['get'] }; // log
}

/**
 * discovery.StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind") of the version
 * the resource is stored as; events.k8s.io/v1 Events are stored as core v1 Events.
 */
function storageVersionHash(def: ResourceDef): string {
  const stored = def.group === 'events.k8s.io' && def.resource === 'events' ? '/v1/Event' : `${def.group}/${def.version}/${def.kind}`;
  return createHash('sha256').update(stored).digest().subarray(0, 8).toString('base64');
}

function groups(): Map<string, ResourceDef[]> {
  const byGroup = new Map<string, ResourceDef[]>();
  for (const def of RESOURCES) byGroup.set(def.group, [...(byGroup.get(def.group) ?? []), def]);
  return byGroup;
}

function apiResourceList(gv: string, defs: ResourceDef[]): Doc {
  const resources: Doc[] = [];
  for (const def of defs) {
    const entry: Doc = { name: def.resource, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: def.verbs };
    if (def.shortNames) entry.shortNames = def.shortNames;
    if (def.categories) entry.categories = def.categories;
    if (isStored(def)) entry.storageVersionHash = storageVersionHash(def);
    resources.push(entry);
    for (const sub of def.subresources ?? []) {
      const info = subresourceInfo(def, sub);
      const gv = info.group !== undefined ? { group: info.group, version: info.version } : {};
      resources.push({ name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced, ...gv, kind: info.kind, verbs: info.verbs });
    }
  }
  // The core list carries no apiVersion, the group lists do (what kube-apiserver serves on /api/v1 vs /apis/g/v).
  return gv.includes('/') ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources } : { kind: 'APIResourceList', groupVersion: gv, resources };
}

function apiGroup(name: string, defs: ResourceDef[]): Doc {
  const versions = [...new Set(defs.map((d) => d.version))].map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}

function aggregatedGroup(name: string, defs: ResourceDef[]): Doc {
  const resources = defs.map((def) => {
    const entry: Doc = {
      resource: def.resource,
      // The group and version of the enclosing document are left empty (aggregated discovery's converter).
      responseKind: { group: '', version: '', kind: def.kind },
      scope: def.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: def.singular,
      verbs: def.verbs,
    };
    if (def.shortNames) entry.shortNames = def.shortNames;
    if (def.categories) entry.categories = def.categories;
    if (def.subresources) {
      entry.subresources = [...def.subresources].sort().map((sub) => {
        const info = subresourceInfo(def, sub);
        // A kind of the document's own group/version names neither (aggregated discovery's converter).
        const responseKind = info.group ? { group: info.group, version: info.version ?? '', kind: info.kind } : { group: '', version: '', kind: info.kind };
        return { subresource: sub, responseKind, verbs: info.verbs };
      });
    }
    return entry;
  });
  const metadata: Doc = name ? { name, creationTimestamp: null } : { creationTimestamp: null };
  return { metadata, versions: [{ version: defs[0]?.version ?? 'v1', resources, freshness: 'Current' }] };
}

/** Which discovery format the Accept header asks for first: aggregated v2 / v2beta1, legacy JSON, or none. */
function discoveryFormat(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' | undefined {
  const entries = parseAccept(accept);
  if (entries.length === 0) return 'legacy';
  for (const e of entries) {
    if (e.type === '*/*' || e.type === 'application/*') return 'legacy';
    if (e.type !== 'application/json') continue;
    if (!e.params.has('as')) return 'legacy';
    const v = e.params.get('v');
    if (e.params.get('g') === 'apidiscovery.k8s.io' && e.params.get('as') === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1')) return v;
  }
  return undefined;
}

/** Aggregated documents are cacheable (`public`) with the hex SHA-512 of the document as their ETag. */
function writeJson(req: IncomingMessage, res: ServerResponse, body: Doc, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha512').update(text).digest('hex').toUpperCase()}"`;
  const cacheControl = contentType === 'application/json' ? 'no-cache, private' : 'public';
  const headers = { 'Content-Type': contentType, 'Cache-Control': cacheControl, Vary: 'Accept', ETag: etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** GET /api or /apis: aggregated (with the resources of every version) or legacy, by Accept. */
function serveRoot(req: IncomingMessage, res: ServerResponse, core: boolean): void {
  const format = discoveryFormat(req.headers.accept);
  const byGroup = groups();
  const selected = [...byGroup].filter(([g]) => (g === '') === core);
  if (format === undefined) {
    writeStatus(res, failureStatus(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'));
  } else if (format !== 'legacy') {
    const apiVersion = `apidiscovery.k8s.io/${format}`;
    const body = { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items: selected.map(([g, defs]) => aggregatedGroup(g, defs)) };
    writeJson(req, res, body, `application/json;g=apidiscovery.k8s.io;v=${format};as=APIGroupDiscoveryList`);
  } else if (core) {
    const serverAddress = `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? 443}`;
    writeJson(req, res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] });
  } else {
    writeJson(req, res, { kind: 'APIGroupList', apiVersion: 'v1', groups: selected.map(([g, defs]) => apiGroup(g, defs)) });
  }
}

const HEALTH_CHECKS: Record<string, string[]> = {
  healthz: ['ping', 'log', 'etcd', 'poststarthook/start-apiserver-admission-initializer', 'poststarthook/generic-apiserver-start-informers'],
  livez: ['ping', 'log', 'etcd', 'poststarthook/start-apiserver-admission-initializer', 'poststarthook/generic-apiserver-start-informers'],
  readyz: ['ping', 'log', 'etcd', 'etcd-readiness', 'informer-sync', 'poststarthook/start-apiserver-admission-initializer', 'poststarthook/generic-apiserver-start-informers', 'shutdown'],
};

/** healthz.handleRootHealth: `ok`, or with ?verbose one `[+]check ok` line per check, honouring ?exclude. */
function serveHealth(res: ServerResponse, name: string, rest: string, query: URLSearchParams): boolean {
  const checks = HEALTH_CHECKS[name]!;
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' };
  if (rest !== '') {
    if (!checks.includes(rest)) return false;
    res.writeHead(200, headers).end('ok');
    return true;
  }
  if (!query.has('verbose')) {
    res.writeHead(200, headers).end('ok');
    return true;
  }
  const excluded = new Set(query.getAll('exclude'));
  const lines = checks.map((c) => (excluded.delete(c) ? `[+]${c} excluded: ok` : `[+]${c} ok`));
  if (excluded.size > 0) lines.push(`warn: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => `"${e}"`).join(',')}`);
  res.writeHead(200, headers).end(`${lines.join('\n')}\n${name} check passed\n`);
  return true;
}

/** version.Info of the profile's kube-apiserver (k8s.io/apimachinery/pkg/version/types.go). */
function versionInfo(profile: VersionProfile): Doc {
  return {
    major: profile.major,
    minor: profile.minor,
    gitVersion: profile.gitVersion,
    gitCommit: createHash('sha1').update(`listgate-simulator ${profile.gitVersion}`).digest('hex'),
    gitTreeState: 'clean',
    buildDate: profile.buildDate,
    goVersion: profile.goVersion,
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/**
 * Serves GET/HEAD of the non-resource paths a kube-apiserver answers. Returns false for anything else
 * (the caller answers 404).
 */
export function serveNonResource(req: IncomingMessage, res: ServerResponse, ctx: NonResourceContext): boolean {
  const profile = ctx.profile ?? versionProfile();
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = new URL(req.url ?? '/', 'https://simulator.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const [, first = '', ...rest] = path.split('/');
  if (path === '/version') {
    writeJson(req, res, versionInfo(profile));
    return true;
  }
  if (first in HEALTH_CHECKS) return serveHealth(res, first, rest.join('/'), url.searchParams);
  if (first === 'openapi') return serveOpenAPI(req, res, rest, url.searchParams, profile.gitVersion);
  if (path === '/api' || path === '/apis') {
    serveRoot(req, res, path === '/api');
    return true;
  }
  const byGroup = groups();
  if (path === '/api/v1') {
    writeJson(req, res, apiResourceList('v1', byGroup.get('') ?? []));
    return true;
  }
  if (first !== 'apis' || rest.length < 1 || rest.length > 2) return false;
  const defs = (byGroup.get(rest[0]!) ?? []).filter((d) => rest[0] !== '' && (rest.length === 1 || d.version === rest[1]));
  if (defs.length === 0) return false;
  writeJson(req, res, rest.length === 1 ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(rest[0]!, defs) } : apiResourceList(groupVersion(defs[0]!), defs));
  return true;
}
