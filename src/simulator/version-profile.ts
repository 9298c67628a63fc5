/**
 * Which kube-apiserver release the simulator presents itself as. The default, 1.32, follows a real
 * v1.32.6 (../shared/envtest): /version says 1.32, /metrics has `apiserver_storage_objects` but neither
 * `apiserver_resource_objects` nor `apiserver_resource_size_estimate_bytes`, which came with 1.34
 * (k8s.io/apiserver/pkg/storage/etcd3/metrics). The 1.34 profile adds those two and reports 1.34.
 */

export const SIMULATOR_VERSIONS = ['1.32', '1.34'] as const;
export type SimulatorVersion = (typeof SIMULATOR_VERSIONS)[number];

export interface VersionProfile {
  version: SimulatorVersion;
  /** version.Info fields of /version (k8s.io/apimachinery/pkg/version/types.go). */
  major: string;
  minor: string;
  gitVersion: string;
  buildDate: string;
  goVersion: string;
  /** `apiserver_resource_objects{group,resource}` and `apiserver_resource_size_estimate_bytes{group,resource}` (1.34+). */
  resourceSizeMetrics: boolean;
}

const PROFILES: Record<SimulatorVersion, VersionProfile> = {
  '1.32': {
    version: '1.32',
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.6',
    buildDate: '2025-06-17T18:36:20Z',
    goVersion: 'go1.23.10',
    resourceSizeMetrics: false,
  },
  '1.34': {
    version: '1.34',
    major: '1',
    minor: '34',
    gitVersion: 'v1.34.1',
    buildDate: '2025-09-09T19:31:59Z',
    goVersion: 'go1.24.6',
    resourceSizeMetrics: true,
  },
};

export const DEFAULT_SIMULATOR_VERSION: SimulatorVersion = '1.32';

export function versionProfile(version: SimulatorVersion = DEFAULT_SIMULATOR_VERSION): VersionProfile {
  return PROFILES[version];
}

export function isSimulatorVersion(text: string): text is SimulatorVersion {
  return (SIMULATOR_VERSIONS as readonly string[]).includes(text);
}
