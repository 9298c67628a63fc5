/**
 * The targets a relay benchmark compares, each with its own client agent and the processes whose CPU and
 * memory are its cost: the simulator directly, the gateway, nginx when installed, and in the full run the
 * bare Node.js proxy (reference-proxy.ts), the floor of any relay on Node's TLS stack.
 */
import type { Agent } from 'node:https';
import type { BenchPki, GatewayProcess, SimulatorProcess } from './bench-stack.js';
import type { Target } from './https-client.js';
import { nginxBinary, startNginx, type NginxProcess } from './nginx.js';
import { startReferenceProxy } from './reference-proxy.js';
import type { ProcessGroup } from './server-process.js';

export interface Measured {
  target: Target;
  agent: Agent;
  /** The processes doing the target's work (for direct, the simulator). */
  pids: () => number[];
}

export async function startComparedTargets(
  group: ProcessGroup,
  opts: { dir: string; pki: BenchPki; sim: SimulatorProcess; gateway: GatewayProcess; quick: boolean; agent: () => Agent },
): Promise<{ targets: Measured[]; nginx: NginxProcess | undefined }> {
  const { dir, pki, sim, gateway, agent } = opts;
  const nginx = nginxBinary() ? await startNginx(group, { dir, pki, upstream: sim }) : undefined;
  const targets: Measured[] = [
    { target: sim.target, agent: agent(), pids: () => [sim.proc.pid] },
    { target: gateway.target, agent: agent(), pids: () => [gateway.proc.pid] },
    ...(nginx ? [{ target: nginx.target, agent: agent(), pids: nginx.pids }] : []),
  ];
  if (!opts.quick) {
    // Full run only, to keep the CI run short.
    const floor = await startReferenceProxy(group, { dir, pki, upstream: sim });
    targets.push({ target: floor.target, agent: agent(), pids: () => [floor.proc.pid] });
  }
  return { targets, nginx };
}
