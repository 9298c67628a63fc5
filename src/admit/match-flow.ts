/**
 * Classification for admission, as API Priority and Fairness classifies: the first flow schema (in
 * configuration order) whose subjects and rules both match names the priority level; its flow key
 * (the user, or the request's namespace) names the flow fair queuing distinguishes. A request no schema
 * matches goes to the last level, so an operator's list never leaves a request without a level.
 * Pure and framework-free.
 */
import type { FlowSchemaSettings, PriorityLevelSettings } from './admission-settings.js';

export interface AdmissionSubject {
  readonly username: string;
  readonly groups: readonly string[];
}

/** What the rules look at, from the request's RequestInfo. */
export interface AdmissionTarget {
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly namespace: string;
}

export interface FlowMatch {
  /** Undefined when no schema matched. */
  readonly flowSchema: string | undefined;
  readonly level: PriorityLevelSettings;
  /** `user:<name>` or `namespace:<name>`: fair queuing's flow. */
  readonly flow: string;
}

/** `*` matches anything, `prefix*` matches by prefix, anything else exactly. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

function subjectsMatch(schema: FlowSchemaSettings, subject: AdmissionSubject): boolean {
  const { users, groups, serviceAccounts } = schema.subjects;
  if (users.length === 0 && groups.length === 0 && serviceAccounts.length === 0) return true;
  if (users.some((u) => matchesPattern(u, subject.username))) return true;
  if (groups.some((g) => subject.groups.some((have) => matchesPattern(g, have)))) return true;
  const sa = serviceAccountOf(subject.username);
  return sa !== undefined && serviceAccounts.some((s) => matchesPattern(s.namespace, sa.namespace) && matchesPattern(s.name, sa.name));
}

function resourceMatches(pattern: string, target: AdmissionTarget): boolean {
  if (pattern === '*') return true;
  const dot = pattern.indexOf('.');
  if (dot === -1) return pattern === target.resource;
  return pattern.slice(0, dot) === target.resource && pattern.slice(dot + 1) === target.apiGroup;
}

function rulesMatch(schema: FlowSchemaSettings, target: AdmissionTarget): boolean {
  const { verbs, resources, namespaces } = schema.rules;
  if (verbs.length > 0 && !verbs.some((v) => v === '*' || v === target.verb)) return false;
  if (resources.length > 0 && !resources.some((r) => resourceMatches(r, target))) return false;
  if (namespaces.length > 0) {
    if (target.namespace === '') return false;
    if (!namespaces.some((n) => matchesPattern(n, target.namespace))) return false;
  }
  return true;
}

export function matchFlow(
  subject: AdmissionSubject,
  target: AdmissionTarget,
  config: { levels: readonly PriorityLevelSettings[]; flowSchemas: readonly FlowSchemaSettings[] },
): FlowMatch {
  const levelByName = new Map(config.levels.map((l) => [l.name, l]));
  for (const schema of config.flowSchemas) {
    const level = levelByName.get(schema.level);
    if (level === undefined || !subjectsMatch(schema, subject) || !rulesMatch(schema, target)) continue;
    const flow = schema.flowKey === 'namespace' ? `namespace:${target.namespace}` : `user:${subject.username}`;
    return { flowSchema: schema.name, level, flow };
  }
  const last = config.levels[config.levels.length - 1];
  if (last === undefined) throw new Error('admission has no priority levels');
  return { flowSchema: undefined, level: last, flow: `user:${subject.username}` };
}
