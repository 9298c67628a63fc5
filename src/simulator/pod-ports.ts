/**
 * What listens inside a simulated pod: every port its containers declare (spec.containers[].ports,
 * TCP) answers HTTP with a line naming the pod, the container and the port, plus the request it got and
 * the size of its body, so a port-forward is observable end to end. Any other port refuses the connection with the runtime's
 * message (containerd's portforward: "failed to connect to localhost:PORT inside namespace ...").
 * The connection is any Duplex (a port-forward data stream): it is handed to one in-process HTTP server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject } from './kube-object.js';

interface Listener {
  pod: KubeObject;
  container: string;
  port: number;
}

export interface PodPorts {
  /** Connects `conn` to what listens on `port` in the pod, or returns the runtime's refusal. */
  connect(pod: KubeObject, port: number, conn: Duplex): string | undefined;
  close(): void;
}

interface ContainerSpec {
  name?: string;
  ports?: { containerPort?: number; protocol?: string }[];
}

export function listeningContainer(pod: KubeObject, port: number): string | undefined {
  const containers = ((pod.spec as { containers?: ContainerSpec[] } | undefined)?.containers ?? []);
  const owner = containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP'));
  return owner?.name;
}

export function createPodPorts(): PodPorts {
  const listeners = new WeakMap<object, Listener>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const l = listeners.get(req.socket);
    if (!l) return res.writeHead(500).end();
    const ns = l.pod.metadata.namespace ?? 'default';
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => {
      const body = `pod ${ns}/${l.pod.metadata.name} container ${l.container} port ${l.port}: ${req.method} ${req.url} (${received} bytes)\n`;
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'X-Pod-Name': l.pod.metadata.name,
        'X-Pod-Namespace': ns,
      });
      res.end(body);
    });
  });
  return {
    connect(pod, port, conn) {
      const container = listeningContainer(pod, port);
      if (!container) {
        const where = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
        return `failed to connect to localhost:${port} inside namespace of pod ${where}, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `;
      }
      listeners.set(conn, { pod, container, port });
      server.emit('connection', conn);
      return undefined;
    },
    close() {
      server.close();
    },
  };
}
