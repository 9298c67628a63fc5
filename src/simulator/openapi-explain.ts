/**
 * The schemas `kubectl explain` reads from the OpenAPI v3 documents, for the simulator's kinds: real
 * kube-apiserver v1.32.6 text for Pod, PodSpec, Container, ContainerPort, EnvVar, Secret, ConfigMap,
 * Namespace, Event (core and events.k8s.io/v1), ObjectReference, EventSource, ObjectMeta, ListMeta,
 * Deployment, DeploymentSpec, DeploymentStatus, PodTemplateSpec, LabelSelector and autoscaling/v1 Scale,
 * with every field and its description, except that PodSpec keeps its most used fields only and ObjectMeta
 * its everyday ones. Types they refer to beyond that set are stubs (type and the first sentence of their
 * description, no fields), so `kubectl explain pods.spec.containers.livenessProbe` names the type but
 * stops there. kubectl finds a kind's schema by its x-kubernetes-group-version-kind and follows `$ref`s
 * and `allOf` from it (k8s.io/kubectl/pkg/explain/v2).
 */
import { CORE_SCHEMAS } from './openapi-schemas-core.js';
import { POD_SCHEMAS } from './openapi-schemas-pod.js';
import { WORKLOAD_SCHEMAS } from './openapi-schemas-workloads.js';

/** OpenAPI schema objects by their components/schemas name. */
export type SchemaMap = Record<string, Record<string, unknown>>;

export const EXPLAIN_SCHEMAS: Readonly<SchemaMap> = { ...CORE_SCHEMAS, ...POD_SCHEMAS, ...WORKLOAD_SCHEMAS };
