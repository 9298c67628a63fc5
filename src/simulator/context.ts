/**
 * What the simulator's handlers share (the server-wide context) and what each resource request carries
 * once it is authenticated, classified and negotiated.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Representation } from '../k8s/media-type.js';
import type { RequestInfo } from '../k8s/request-info.js';
import type { X509Certificate } from 'node:crypto';
import type { Identity, TokenTable } from './authn.js';
import type { SimulatorAuthorizer } from './authorizer.js';
import type { FrontProxy } from './front-proxy.js';
import type { MemoryModel } from './memory-model.js';
import type { SimulatorMetrics } from './metrics.js';
import type { ResourceDef } from './resources.js';
import type { Store } from './store.js';
import type { VersionProfile } from './version-profile.js';
import type { Schedule } from './watch-sink.js';

export interface SimulatorContext {
  store: Store;
  memory: MemoryModel;
  now: () => number;
  /** Whether the storage serves streaming lists (an etcd with progress notifications); watch-list-support.ts. */
  watchList: boolean;
  /** The WatchList feature gate (list-validation.ts): off, streaming lists are refused with 422. */
  watchListGate: boolean;
  bookmarkIntervalMs: number;
  tokens: TokenTable;
  /** The cluster client CA (x509 users) and the front proxy it trusts for request headers, if any. */
  clientCa: X509Certificate;
  frontProxy?: FrontProxy;
  authorizer: SimulatorAuthorizer;
  logger: Logger;
  metrics: SimulatorMetrics;
  /** The release the simulator presents itself as (version-profile.ts). */
  profile: VersionProfile;
  /** Timers that model the apiserver's waits (a blocked watcher's dispatch timeout). */
  schedule: Schedule;
}

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  def: ResourceDef;
  query: URLSearchParams;
  identity: Identity;
  /** The negotiated response representation (JSON only; Table and PartialObjectMetadata conversions). */
  rep: Representation;
}
