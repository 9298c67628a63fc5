/**
 * The targets the protocols benchmark compares, per client protocol, each with the processes whose CPU
 * is its cost and a way to send one request over that protocol (a keep-alive HTTP/1.1 agent, or one
 * HTTP/2 connection as client-go keeps):
 * - on the simulator: the simulator directly, listgate (HTTP/2 to the simulator when it offers it), the
 *   bare Node.js relay of the same protocol (reference-proxy.ts) and nginx;
 * - on a real kube-apiserver 1.32.6 (envtest binaries, full run only): the apiserver directly, and
 *   listgate in front of it — what a user compares.
 */
import type { Agent } from 'node:https';
import type { KubeApiserver } from '../../test/support/apiserver/kube-apiserver.js';
import type { BenchPki, GatewayProcess, SimulatorProcess } from './bench-stack.js';
import { createH2Client, type H2Client } from './h2-client.js';
import { createClientAgent, fetchOnce, type ClientIdentity, type Target } from './https-client.js';
import type { NginxProcess } from './nginx.js';
import type { ServerProcess } from './server-process.js';

export type ClientProtocol = 'h1' | 'h2';

export interface ProtocolTarget {
  target: Target;
  /** Which upstream the target stands in front of (or is): `sim` or `kube`. */
  backend: 'sim' | 'kube';
  identity: ClientIdentity;
  pids(): number[];
  /** The bare relay of this protocol, the CPU floor listgate is compared with. */
  floor?: boolean;
}

export interface Sender {
  send(path: string): Promise<{ status: number; bytes: number }>;
  close(): void;
}

/** A way to send requests to `t` over `protocol` with `concurrency` in flight. */
export function senderFor(t: ProtocolTarget, protocol: ClientProtocol, concurrency: number): Sender {
  if (protocol === 'h2') {
    const client: H2Client = createH2Client(t.target, t.identity);
    return { send: (path) => client.get(path), close: () => client.close() };
  }
  const agent: Agent = createClientAgent(t.identity, { maxSockets: concurrency });
  return {
    send: async (path) => {
      const res = await fetchOnce({ target: t.target, path, agent, keepBytes: 0 });
      return { status: res.status, bytes: res.bytes };
    },
    close: () => agent.destroy(),
  };
}

export function simulatorTargets(opts: {
  pki: BenchPki;
  sim: SimulatorProcess;
  gateway: GatewayProcess;
  floors: Record<ClientProtocol, { proc: ServerProcess; target: Target }>;
  nginx: NginxProcess | undefined;
}): Record<ClientProtocol, ProtocolTarget[]> {
  const { pki, sim, gateway, floors, nginx } = opts;
  const id = pki.user;
  const common = (protocol: ClientProtocol): ProtocolTarget[] => [
    { target: { ...sim.target, name: 'direct' }, backend: 'sim', identity: id, pids: () => [sim.proc.pid] },
    { target: gateway.target, backend: 'sim', identity: id, pids: () => [gateway.proc.pid] },
    { target: floors[protocol].target, backend: 'sim', identity: id, pids: () => [floors[protocol].proc.pid], floor: true },
    ...(nginx ? [{ target: nginx.target, backend: 'sim' as const, identity: id, pids: nginx.pids }] : []),
  ];
  return { h1: common('h1'), h2: common('h2') };
}

export function kubeTargets(kube: KubeApiserver, gateway: GatewayProcess): ProtocolTarget[] {
  const identity = { caPem: kube.caPem, certPem: kube.admin.certPem, keyPem: kube.admin.keyPem };
  return [
    { target: { name: 'kube-direct', host: '127.0.0.1', port: kube.port }, backend: 'kube', identity, pids: () => [kube.pid()] },
    { target: { ...gateway.target, name: 'kube-listgate' }, backend: 'kube', identity, pids: () => [gateway.proc.pid] },
  ];
}
