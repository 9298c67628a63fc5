/**
 * The resources the simulator serves, with the discovery facts kubectl reads (kind, scope, verbs,
 * short names, categories). One registry feeds discovery, routing, storage and Table conversion.
 */

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural resource name as it appears in paths. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresources served, e.g. `status`, `log`, `exec`. */
  subresources?: string[];
  /**
   * Another API's view of a core resource that kube-apiserver stores once (events.k8s.io events are core
   * events): the simulator keeps a copy, which storage metrics do not count again.
   */
  copyOf?: string;
}

const CRUD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: readonly ResourceDef[] = [
  {
    group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', listKind: 'NamespaceList',
    namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'],
  },
  {
    group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', listKind: 'SecretList',
    namespaced: true, verbs: CRUD_VERBS,
  },
  {
    group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', listKind: 'ConfigMapList',
    namespaced: true, verbs: CRUD_VERBS, shortNames: ['cm'],
  },
  {
    group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', listKind: 'PodList',
    namespaced: true, verbs: CRUD_VERBS, shortNames: ['po'], categories: ['all'], subresources: ['log', 'exec', 'portforward', 'status'],
  },
  {
    group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', listKind: 'EventList',
    namespaced: true, verbs: CRUD_VERBS, shortNames: ['ev'],
  },
  {
    group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', listKind: 'DeploymentList',
    namespaced: true, verbs: CRUD_VERBS, shortNames: ['deploy'], categories: ['all'], subresources: ['scale', 'status'],
  },
  {
    group: 'events.k8s.io', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', listKind: 'EventList',
    namespaced: true, verbs: CRUD_VERBS, shortNames: ['ev'], copyOf: 'events',
  },
  {
    group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview',
    listKind: 'TokenReviewList', namespaced: false, verbs: ['create'],
  },
  {
    group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', singular: 'selfsubjectreview',
    kind: 'SelfSubjectReview', listKind: 'SelfSubjectReviewList', namespaced: false, verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview', listKind: 'SelfSubjectAccessReviewList', namespaced: false, verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview', listKind: 'SelfSubjectRulesReviewList', namespaced: false, verbs: ['create'],
  },
  {
    group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', singular: 'subjectaccessreview',
    kind: 'SubjectAccessReview', listKind: 'SubjectAccessReviewList', namespaced: false, verbs: ['create'],
  },
];

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** Resources that are stored and listed (the review APIs are create-only and never stored). */
export function isStored(def: ResourceDef): boolean {
  return def.verbs.includes('list');
}

export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
