/**
 * A benchmark's scratch space: a temp dir for its PKI, configs and server logs, and the process group
 * of its servers. Everything is stopped when the body ends; the dir is removed on success and kept
 * (and named) on failure — the body throws, or returns a report that names `failures` — so the server
 * logs can be read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './benchmark.js';
import { createProcessGroup, type ProcessGroup } from './server-process.js';

export interface Scratch {
  dir: string;
  group: ProcessGroup;
}

export async function withScratch<T>(ctx: BenchContext, name: string, body: (s: Scratch) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `listgate-bench-${name}-`));
  const group = createProcessGroup();
  try {
    const result = await body({ dir, group });
    await group.stopAll();
    if (namesFailures(result)) ctx.log(`failed; server logs kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
    return result;
  } catch (err) {
    await group.stopAll();
    ctx.log(`failed; server logs kept in ${dir}`);
    throw err;
  }
}

function namesFailures(result: unknown): boolean {
  if (typeof result !== 'object' || result === null || !('failures' in result)) return false;
  const failures = (result as { failures?: unknown }).failures;
  return Array.isArray(failures) && failures.length > 0;
}
