/**
 * Hot reload: watches the config file and every file it names; on a change, loads and validates the
 * whole snapshot again. A valid one is published to the ConfigSource (components apply it, see
 * config-source.ts) and logged with the keys that changed; keys that only a restart can apply (the listen
 * addresses) are logged as such. An invalid one is refused with every issue logged, the last good
 * configuration stays, and `listgate_config_reloads_total{result="failure"}` counts it. So is a valid one
 * that a component fails to apply: the last good snapshot is published again.
 * Reloads never overlap: a change during a reload triggers one more reload after it.
 */
import type { Logger } from 'pino';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import type { ConfigSnapshot, ConfigSource } from '../config/config-source.js';
import { changedPaths, restartRequired } from '../config/diff-config.js';
import { loadConfigSnapshot } from '../config/load-config-file.js';
import { namedFiles } from '../config/named-files.js';
import type { ReloadMetrics } from './reload-metrics.js';
import { watchFiles, type FileWatcher } from './watch-files.js';

export type ReloadOutcome =
  | { applied: true; changed: string[]; restartRequired: string[] }
  | { applied: false; issues: ConfigIssue[] };

export interface ConfigReloader {
  /** Loads the file now and applies it when valid (what a change on disk triggers). */
  reload(): Promise<ReloadOutcome>;
  close(): void;
}

export interface ConfigReloaderDeps {
  path: string;
  source: ConfigSource;
  metrics: ReloadMetrics;
  logger: Logger;
  load?: (path: string) => Promise<ConfigSnapshot>;
  /** Watch options; `false`: no watching, reload only when asked. */
  watch?: { debounceMs?: number; pollIntervalMs?: number } | false;
  /** Wall clock in ms (the success timestamp metric). */
  now?: () => number;
}

/** What differs between two snapshots: config keys, then files whose contents changed (never the contents). */
export function describeChanges(previous: ConfigSnapshot, next: ConfigSnapshot): string[] {
  const authView = (s: ConfigSnapshot) => ({ clientCAs: s.auth.clientCAPems, frontProxy: s.auth.frontProxy });
  return [
    ...changedPaths(previous.config, next.config),
    ...changedPaths(previous.files, next.files).map((p) => `file contents: ${p}`),
    ...changedPaths(authView(previous), authView(next)).map((p) => `file contents: ${p}`),
    ...changedPaths({ webhook: previous.webhook }, { webhook: next.webhook }).map((p) => `file contents: ${p}`),
  ];
}

export function createConfigReloader(deps: ConfigReloaderDeps): ConfigReloader {
  const load = deps.load ?? loadConfigSnapshot;
  const now = deps.now ?? Date.now;
  const log = deps.logger;
  const watchedPaths = (s: ConfigSnapshot) => [deps.path, ...namedFiles(s.config)];
  let running: Promise<ReloadOutcome> | undefined;
  let again = false;

  const attempt = async (): Promise<ReloadOutcome> => {
    let next: ConfigSnapshot;
    try {
      next = await load(deps.path);
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues : [{ path: '<document>', message: err instanceof Error ? err.message : String(err) }];
      deps.metrics.failed();
      log.error({ file: deps.path, issues }, 'configuration reload refused; the last good configuration stays in effect');
      return { applied: false, issues };
    }
    const previous = deps.source.snapshot();
    const changed = describeChanges(previous, next);
    const restart = restartRequired(changed);
    watcher?.update(watchedPaths(next));
    const failures = deps.source.publish(next);
    if (failures.length > 0) {
      // A component could not apply it (building the new request path failed): put the last good one back.
      for (const err of [...failures, ...deps.source.publish(previous)]) log.error({ err }, 'a component failed to apply the reloaded configuration');
      log.error({ file: deps.path, changed }, 'configuration reload refused; the last good configuration stays in effect');
      deps.metrics.failed();
      const issues = failures.map((err) => ({ path: '<apply>', message: err instanceof Error ? err.message : String(err) }));
      return { applied: false, issues };
    }
    deps.metrics.succeeded(now());
    log.info({ file: deps.path, changed }, changed.length > 0 ? 'configuration reloaded' : 'configuration reloaded (no changes)');
    for (const key of restart) log.warn({ key }, `${key} changed in the configuration; it takes effect only after a restart`);
    return { applied: true, changed, restartRequired: restart };
  };

  const reload = (): Promise<ReloadOutcome> => {
    if (running) {
      again = true;
      return running;
    }
    running = attempt().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
    return running;
  };

  const watcher: FileWatcher | undefined =
    deps.watch === false
      ? undefined
      : watchFiles({
          paths: watchedPaths(deps.source.snapshot()),
          onChange: () => void reload(),
          debounceMs: deps.watch?.debounceMs,
          pollIntervalMs: deps.watch?.pollIntervalMs,
          onWatchError: (dir, err) => log.warn({ dir, err }, 'cannot watch a configuration folder; polling it instead'),
        });

  return {
    reload,
    close() {
      watcher?.close();
    },
  };
}
