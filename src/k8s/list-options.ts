/**
 * The read parameters of metav1.ListOptions as they arrive on the query string. Parsing is lenient
 * here (the gateway only classifies); the simulator validates them the way the apiserver does.
 */
import { queryFlag } from './request-info.js';

export interface ListOptions {
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  labelSelector?: string;
  fieldSelector?: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  /** Undefined when absent: the apiserver distinguishes unset from false. */
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

function optionalString(query: URLSearchParams, key: string): string | undefined {
  const v = query.get(key);
  return v === null || v === '' ? undefined : v;
}

function optionalInt(query: URLSearchParams, key: string): number | undefined {
  const v = query.get(key);
  if (v === null || v.trim() === '' || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number.parseInt(v, 10);
}

export function parseListOptions(query: URLSearchParams): ListOptions {
  const opts: ListOptions = {
    watch: queryFlag(query.get('watch')),
    allowWatchBookmarks: queryFlag(query.get('allowWatchBookmarks')),
  };
  const limit = optionalInt(query, 'limit');
  if (limit !== undefined && limit > 0) opts.limit = limit;
  const cont = optionalString(query, 'continue');
  if (cont !== undefined) opts.continue = cont;
  // resourceVersion="" and unset mean the same thing to the apiserver (a consistent read).
  const rv = optionalString(query, 'resourceVersion');
  if (rv !== undefined) opts.resourceVersion = rv;
  const rvm = optionalString(query, 'resourceVersionMatch');
  if (rvm !== undefined) opts.resourceVersionMatch = rvm;
  const ls = optionalString(query, 'labelSelector');
  if (ls !== undefined) opts.labelSelector = ls;
  const fs = optionalString(query, 'fieldSelector');
  if (fs !== undefined) opts.fieldSelector = fs;
  const sie = query.get('sendInitialEvents');
  if (sie !== null) opts.sendInitialEvents = queryFlag(sie);
  const ts = optionalInt(query, 'timeoutSeconds');
  if (ts !== undefined) opts.timeoutSeconds = ts;
  return opts;
}
