/**
 * Column definitions and row cells for the simulator's resources, as the apiserver's printers produce them
 * (k8s.io/kubernetes pkg/printers/internalversion/printers.go: AddHandlers, printNamespace, printSecret,
 * printConfigMap, printPod, printDeployment). The server always generates tables with Wide: true
 * (pkg/registry/.../tableconvertor), so priority-1 cells are always present; kubectl hides them unless -o wide.
 * Cells keep the printers' Go types: `Data`, `Up-to-date` and `Available` are declared "string" but carry
 * int64 numbers, exactly as upstream does.
 */
import { eventPrinter } from './event-printer.js';
import type { KubeObject } from './kube-object.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export type TableCell = string | number | boolean | null;

export interface ResourcePrinter {
  columns: readonly TableColumnDefinition[];
  cells(obj: KubeObject, now: number): TableCell[];
}

const col = (name: string, description: string, extra: Partial<TableColumnDefinition> = {}): TableColumnDefinition => ({
  name, type: 'string', format: '', description, priority: 0, ...extra,
});

// metav1.ObjectMeta{}.SwaggerDoc() texts for the two columns every printer has.
const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const NAME = col('Name', NAME_DOC, { format: 'name' });
const AGE = col('Age', AGE_DOC);

/** duration.HumanDuration (k8s.io/apimachinery/pkg/util/duration/duration.go): ~2-3 significant figures. */
export function formatHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const years = Math.trunc(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

/** translateTimestampSince: `<unknown>` for a missing timestamp. */
function age(obj: KubeObject, now: number): string {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '');
  return Number.isNaN(created) ? '<unknown>' : formatHumanDuration(now - created);
}

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? v.map(asRecord) : []);
const asNumber = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
const countKeys = (v: unknown): number => Object.keys(asRecord(v)).length;

function podCells(pod: KubeObject, now: number): TableCell[] {
  const spec = asRecord(pod.spec);
  const status = asRecord(pod.status);
  let reason = asString(status.reason) || asString(status.phase);
  let ready = 0;
  let restarts = 0;
  const statuses = asArray(status.containerStatuses);
  for (let i = statuses.length - 1; i >= 0; i--) {
    const cs = statuses[i]!;
    const state = asRecord(cs.state);
    restarts += asNumber(cs.restartCount);
    const waiting = asRecord(state.waiting);
    const terminated = asRecord(state.terminated);
    if (asString(waiting.reason)) reason = asString(waiting.reason);
    else if (state.terminated !== undefined && asString(terminated.reason)) reason = asString(terminated.reason);
    else if (state.terminated !== undefined) reason = `ExitCode:${asNumber(terminated.exitCode)}`;
    else if (cs.ready === true && state.running !== undefined) ready++;
  }
  if (pod.metadata.deletionTimestamp && reason !== 'Succeeded' && reason !== 'Failed') reason = 'Terminating';
  const podIPs = asArray(status.podIPs);
  const podIP = asString(podIPs[0]?.ip) || asString(status.podIP) || '<none>';
  const gates = asArray(spec.readinessGates);
  const conditions = asArray(status.conditions);
  const trueGates = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return [
    pod.metadata.name,
    `${ready}/${asArray(spec.containers).length}`,
    reason,
    String(restarts),
    age(pod, now),
    podIP,
    asString(spec.nodeName) || '<none>',
    asString(status.nominatedNodeName) || '<none>',
    gates.length > 0 ? `${trueGates}/${gates.length}` : '<none>',
  ];
}

/** metav1.FormatLabelSelector: matchLabels as k=v, expressions as `k in (a,b)`; empty selector `<none>`. */
function formatLabelSelector(selector: unknown): string {
  const sel = asRecord(selector);
  const parts = Object.entries(asRecord(sel.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of asArray(sel.matchExpressions)) {
    const op = asString(e.operator);
    const values = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
    if (op === 'Exists') parts.push(asString(e.key));
    else if (op === 'DoesNotExist') parts.push(`!${asString(e.key)}`);
    else parts.push(`${asString(e.key)} ${op.toLowerCase()} (${values})`);
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function deploymentCells(deploy: KubeObject, now: number): TableCell[] {
  const spec = asRecord(deploy.spec);
  const status = asRecord(deploy.status);
  const containers = asArray(asRecord(asRecord(spec.template).spec).containers);
  return [
    deploy.metadata.name,
    `${asNumber(status.readyReplicas)}/${asNumber(spec.replicas)}`,
    asNumber(status.updatedReplicas),
    asNumber(status.availableReplicas),
    age(deploy, now),
    containers.map((c) => asString(c.name)).join(','),
    containers.map((c) => asString(c.image)).join(','),
    formatLabelSelector(spec.selector),
  ];
}

const TEMPLATE_CONTAINERS = 'Names of each container in the template.';
const TEMPLATE_IMAGES = 'Images referenced by each container in the template.';

const PRINTERS: Record<string, ResourcePrinter> = {
  namespaces: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name, asString(asRecord(o.status).phase), age(o, now)],
  },
  secrets: {
    columns: [
      NAME,
      col('Type', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
      col('Data', "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
      AGE,
    ],
    cells: (o, now) => [o.metadata.name, asString(o.type), countKeys(o.data), age(o, now)],
  },
  configmaps: {
    columns: [
      NAME,
      col('Data', "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."),
      AGE,
    ],
    cells: (o, now) => [o.metadata.name, countKeys(o.data) + countKeys(o.binaryData), age(o, now)],
  },
  pods: {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', { priority: 1 }),
      col('Node', 'NodeName indicates in which node this pod is scheduled.', { priority: 1 }),
      col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', { priority: 1 }),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
    ],
    cells: podCells,
  },
  deployments: {
    columns: [
      NAME,
      col('Ready', 'Number of the pod with ready state'),
      col('Up-to-date', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', TEMPLATE_CONTAINERS, { priority: 1 }),
      col('Images', TEMPLATE_IMAGES, { priority: 1 }),
      col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.', { priority: 1 }),
    ],
    cells: deploymentCells,
  },
  events: eventPrinter({ name: NAME, humanDuration: formatHumanDuration }),
};

/** The default table (NAME, CREATED AT) the apiserver uses for resources without a printer (rest.NewDefaultTableConvertor). */
const DEFAULT_PRINTER: ResourcePrinter = {
  columns: [NAME, col('Created At', AGE_DOC, { type: 'date' })],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? null],
};

export function printerFor(resource: string): ResourcePrinter {
  return PRINTERS[resource] ?? DEFAULT_PRINTER;
}
