/**
 * The Table of events (pkg/printers/internalversion/printers.go printEvent): LAST SEEN, TYPE, REASON,
 * OBJECT, MESSAGE, and with -o wide SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME. The same printer serves
 * core v1 and events.k8s.io/v1 events (one internal type upstream), so it reads either field name.
 */
import type { KubeObject } from './kube-object.js';
import type { ResourcePrinter, TableCell, TableColumnDefinition } from './table-columns.js';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function eventPrinter(deps: { name: TableColumnDefinition; humanDuration(ms: number): string }): ResourcePrinter {
  const col = (name: string, description: string, priority = 0): TableColumnDefinition => ({ name, type: 'string', format: '', description, priority });
  const since = (stamp: string, now: number): string => {
    const at = Date.parse(stamp);
    return Number.isNaN(at) ? '<unknown>' : deps.humanDuration(now - at);
  };
  return {
    columns: [
      col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'The object that this event is about.'),
      col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.', 1),
      col('Source', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'The number of times this event has occurred.', 1),
      { ...deps.name, priority: 1 },
    ],
    cells(e: KubeObject, now: number): TableCell[] {
      const subject = rec(e['involvedObject'] ?? e['regarding']);
      const source = rec(e['source'] ?? e['deprecatedSource']);
      const last = text(e['lastTimestamp'] ?? e['deprecatedLastTimestamp']) || text(e['eventTime']);
      const first = text(e['firstTimestamp'] ?? e['deprecatedFirstTimestamp']) || text(e['eventTime']);
      const component = text(source['component']) || text(e['reportingComponent'] ?? e['reportingController']);
      const host = text(source['host']);
      return [
        since(last, now),
        text(e['type']),
        text(e['reason']),
        `${text(subject['kind']).toLowerCase()}/${text(subject['name'])}`,
        text(subject['fieldPath']),
        host ? `${component}, ${host}` : component,
        text(e['message'] ?? e['note']),
        since(first, now),
        Number(e['count'] ?? e['deprecatedCount'] ?? 1),
        e.metadata.name,
      ];
    },
  };
}
