/**
 * The shape of every object the simulator stores and serves. Shared with the surface files
 * (table.ts, logs.ts, exec.ts), which import it.
 */

/** metav1.ObjectMeta, the fields the simulator sets or reads. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generateName?: string;
  generation?: number;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

/** A Kubernetes object as served over the wire (JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}
