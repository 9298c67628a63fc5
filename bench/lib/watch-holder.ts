/**
 * Holds watches open against a target from a process of its own, so the client side of thousands of
 * watches (its streams, its garbage) weighs on the machine but not on the event loop that measures the
 * requests beside them. Streams are spread over HTTP/2 connections of `perConnection` streams each.
 * Prints `open <n> refused <m>` once every watch has its response headers, then holds them until SIGTERM.
 * `node watch-holder.js HOST PORT PKI_DIR COUNT PER_CONNECTION PATH_TEMPLATE` (`{i}` in the template is
 * replaced by the watch's number).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createH2Client } from './h2-client.js';

export async function holdWatches(opts: { host: string; port: number; pkiDir: string; count: number; perConnection: number; path: (i: number) => string }): Promise<{ open: number; refused: number }> {
  const read = (name: string): string => readFileSync(join(opts.pkiDir, name), 'utf8');
  const client = createH2Client(
    { name: 'gateway', host: opts.host, port: opts.port },
    { caPem: read('ca.crt'), certPem: read('user.crt'), keyPem: read('user.key') },
    { sessions: Math.ceil(opts.count / opts.perConnection) },
  );
  let open = 0;
  let refused = 0;
  for (let i = 0; i < opts.count; i += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, opts.count - i) }, (_, j) => client.open(opts.path(i + j)).then((w) => w.status, () => 0)),
    );
    for (const status of batch) {
      if (status === 200) open += 1;
      else refused += 1;
    }
  }
  return { open, refused };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [host, port, pkiDir, count, perConnection, template] = process.argv.slice(2);
  void holdWatches({ host: host!, port: Number(port), pkiDir: pkiDir!, count: Number(count), perConnection: Number(perConnection), path: (i) => template!.replaceAll('{i}', String(i)) }).then(
    ({ open, refused }) => process.stdout.write(`open ${open} refused ${refused}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
  process.once('SIGTERM', () => process.exit(0));
}
