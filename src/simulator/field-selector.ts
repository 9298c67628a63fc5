/**
 * Field selectors as k8s.io/apimachinery/pkg/fields/selector.go parses them (`=`, `==`, `!=`, comma =
 * AND, `\` escapes), restricted to the fields each resource's strategy exposes (GetAttrs/ToSelectableFields
 * in pkg/registry/core/{pod,secret,namespace}/strategy.go): metadata.name and metadata.namespace
 * everywhere, plus `type` for secrets, `status.phase` for namespaces, and the pod and event fields below.
 * An unknown field is refused in the words of the resource's field label conversion: its own ("field
 * label not supported") where it registers one, runtime.DefaultMetaV1FieldSelectorConversion's otherwise.
 */
import type { KubeObject } from './kube-object.js';
import type { ResourceDef } from './resources.js';

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

type Getter = (obj: KubeObject) => string;

function path(obj: KubeObject, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const COMMON: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

const EXTRA: Record<string, Record<string, Getter>> = {
  secrets: { type: (o) => str(o['type']) },
  // pkg/registry/core/event/strategy.go ToSelectableFields (what `kubectl describe` selects events by).
  events: {
    'involvedObject.kind': (o) => str(path(o, 'involvedObject', 'kind')),
    'involvedObject.namespace': (o) => str(path(o, 'involvedObject', 'namespace')),
    'involvedObject.name': (o) => str(path(o, 'involvedObject', 'name')),
    'involvedObject.uid': (o) => str(path(o, 'involvedObject', 'uid')),
    'involvedObject.apiVersion': (o) => str(path(o, 'involvedObject', 'apiVersion')),
    'involvedObject.resourceVersion': (o) => str(path(o, 'involvedObject', 'resourceVersion')),
    'involvedObject.fieldPath': (o) => str(path(o, 'involvedObject', 'fieldPath')),
    reason: (o) => str(o['reason']),
    reportingComponent: (o) => str(o['reportingComponent']),
    source: (o) => str(path(o, 'source', 'component')),
    type: (o) => str(o['type']),
  },
  namespaces: { 'status.phase': (o) => str(path(o, 'status', 'phase')) },
  pods: {
    'spec.nodeName': (o) => str(path(o, 'spec', 'nodeName')),
    'spec.restartPolicy': (o) => str(path(o, 'spec', 'restartPolicy')),
    'spec.schedulerName': (o) => str(path(o, 'spec', 'schedulerName')),
    'spec.serviceAccountName': (o) => str(path(o, 'spec', 'serviceAccountName')),
    'spec.hostNetwork': (o) => String(path(o, 'spec', 'hostNetwork') === true),
    'status.phase': (o) => str(path(o, 'status', 'phase')),
    'status.podIP': (o) => str(path(o, 'status', 'podIP')),
    'status.nominatedNodeName': (o) => str(path(o, 'status', 'nominatedNodeName')),
  },
};

function getterFor(def: ResourceDef, field: string): Getter | undefined {
  return COMMON[field] ?? EXTRA[def.resource]?.[field];
}

/** Splits on separators that are not backslash-escaped, keeping the escapes for a second pass. */
function splitUnescaped(input: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      cur += c + input[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Splits `field<op>value` at the first unescaped operator. */
function splitTerm(term: string): [string, '=' | '==' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (c === '\\') {
      i++;
    } else if (c === '!' && term[i + 1] === '=') {
      return [term.slice(0, i), '!=', term.slice(i + 2)];
    } else if (c === '=') {
      return term[i + 1] === '=' ? [term.slice(0, i), '==', term.slice(i + 2)] : [term.slice(0, i), '=', term.slice(i + 1)];
    }
  }
  return undefined;
}

/** Parses and checks the selector for `def`; throws Error with the apiserver's message on bad input. */
export function parseFieldSelector(def: ResourceDef, input: string): FieldSelector {
  const selector: FieldSelector = [];
  for (const term of splitUnescaped(input, ',')) {
    if (term.trim() === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw new Error(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = unescape(parts[0]).trim();
    if (!getterFor(def, field)) {
      throw new Error(def.resource in EXTRA ? `field label not supported: ${field}` : `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    selector.push({ field, negate: parts[1] === '!=', value: unescape(parts[2]) });
  }
  return selector;
}

export function matchesFields(def: ResourceDef, selector: FieldSelector, obj: KubeObject): boolean {
  return selector.every(({ field, negate, value }) => {
    const actual = getterFor(def, field)!(obj);
    return negate ? actual !== value : actual === value;
  });
}
