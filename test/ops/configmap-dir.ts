/**
 * A folder laid out the way the kubelet writes a ConfigMap or Secret volume (its AtomicWriter): the
 * files live in a timestamped folder `..<stamp>`, `..data` is a symlink to it, and each visible name is a
 * symlink `name -> ..data/name`. An update writes a new timestamped folder, points `..data_tmp` at it and
 * renames `..data_tmp` over `..data` (one atomic rename), then removes the old folder.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

export interface ConfigMapDir {
  dir: string;
  path(name: string): string;
  /** Replaces the whole volume content atomically. */
  write(files: Record<string, string>): void;
}

export function createConfigMapDir(dir: string, files: Record<string, string>): ConfigMapDir {
  let generation = 0;
  const write = (content: Record<string, string>) => {
    generation++;
    const stamp = `..2025_01_01_00_00_${String(generation).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(dir, stamp));
    for (const [name, text] of Object.entries(content)) writeFileSync(join(dir, stamp, name), text, { mode: 0o600 });
    const data = join(dir, '..data');
    const old = existsSync(data) ? readlinkSync(data) : undefined;
    symlinkSync(stamp, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), data);
    for (const name of Object.keys(content)) {
      const link = join(dir, name);
      let present = false;
      try {
        present = lstatSync(link).isSymbolicLink();
      } catch {
        present = false;
      }
      if (!present) symlinkSync(join('..data', name), link);
    }
    if (old) rmSync(join(dir, old), { recursive: true, force: true });
  };
  mkdirSync(dir, { recursive: true });
  write(files);
  return { dir, path: (name) => join(dir, name), write };
}
