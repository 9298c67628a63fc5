/**
 * Notices when any of a set of files changes, the way Kubernetes volumes change them: a ConfigMap or
 * Secret volume swaps a `..data` symlink atomically (rename), so the watched path keeps its name while
 * its target becomes another file. We therefore watch the folders that hold the paths (a rename or write
 * in the folder is an event), compare a fingerprint of each path with symlinks followed (device, inode,
 * size, mtime), and call `onChange` once the events have been quiet for `debounceMs`. A slow poll backs
 * the watch up where inotify is missing or an event was lost.
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface FileWatcher {
  /** Watches this set from now on (the config may name other files after a reload). */
  update(paths: readonly string[]): void;
  close(): void;
}

export interface WatchFilesOptions {
  paths: readonly string[];
  onChange: () => void;
  /** Quiet time after the last event before comparing. Default 200 ms. */
  debounceMs?: number;
  /** Compare even without events this often. Default 10 s; 0 disables. */
  pollIntervalMs?: number;
  /** Told when a folder cannot be watched (polling still covers it). */
  onWatchError?: (dir: string, err: unknown) => void;
}

/** `dev:ino:size:mtime` of each path with symlinks followed, or `missing`. */
export function fingerprintFiles(paths: readonly string[]): string {
  return paths
    .map((path) => {
      try {
        const s = statSync(path);
        return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export function watchFiles(opts: WatchFilesOptions): FileWatcher {
  const debounceMs = opts.debounceMs ?? 200;
  const pollIntervalMs = opts.pollIntervalMs ?? 10_000;
  let paths = [...opts.paths];
  let fingerprint = fingerprintFiles(paths);
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const compare = () => {
    timer = undefined;
    if (closed) return;
    const now = fingerprintFiles(paths);
    if (now === fingerprint) return;
    fingerprint = now;
    opts.onChange();
  };
  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(compare, debounceMs);
  };

  const watchFolders = () => {
    const wanted = new Set(paths.map((p) => dirname(p)));
    for (const [dir, watcher] of watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, schedule);
        watcher.on('error', (err) => {
          watcher.close();
          watchers.delete(dir);
          opts.onWatchError?.(dir, err);
        });
        watchers.set(dir, watcher);
      } catch (err) {
        opts.onWatchError?.(dir, err);
      }
    }
  };
  watchFolders();
  const poll = pollIntervalMs > 0 ? setInterval(schedule, pollIntervalMs) : undefined;
  poll?.unref();

  return {
    update(next) {
      if (next.length === paths.length && next.every((p, i) => p === paths[i])) return;
      paths = [...next];
      fingerprint = fingerprintFiles(paths);
      watchFolders();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
