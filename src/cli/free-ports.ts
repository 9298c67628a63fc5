/**
 * Before a command generates anything (the demo's PKI and files), each port it will listen on is bound
 * once and released, so that a port in use is reported in one line naming the port, what wanted it and
 * the flag that moves it — not as a stack trace after the files are written. Port 0 is never checked.
 */
import { createServer } from 'node:net';

export interface PortClaim {
  readonly port: number;
  /** What listens there, e.g. `the gateway`. */
  readonly what: string;
  /** The flag that sets it, e.g. `--port`. */
  readonly flag: string;
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Rejects with one line about the first claim that cannot be bound on `host` (or that two claims share). */
export async function checkPortsFree(host: string, claims: readonly PortClaim[]): Promise<void> {
  const fixed = claims.filter((c) => c.port !== 0);
  for (const [i, claim] of fixed.entries()) {
    const other = fixed.slice(0, i).find((c) => c.port === claim.port);
    if (other) throw new Error(`${other.flag} and ${claim.flag} both ask for port ${claim.port}: give ${claim.what} another one (0 picks a free one)`);
  }
  for (const claim of fixed) {
    const err = await tryBind(host, claim.port);
    if (!err) continue;
    const why = err.code === 'EADDRINUSE' ? 'is already in use' : err.code === 'EACCES' ? 'may not be used by this user' : `cannot be bound (${err.code ?? err.message})`;
    throw new Error(`port ${claim.port} on ${host} (${claim.what}, ${claim.flag}) ${why}: stop what listens there or pick another port with ${claim.flag} (0 picks a free one)`);
  }
}
