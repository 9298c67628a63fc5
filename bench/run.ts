/**
 * `npm run bench [-- --quick] [-- --only NAME[,NAME…]] [-- --results DIR] [-- --docs] [-- --list]`
 *
 * Runs every benchmark module found next to this file (`bench/<name>.ts` exporting `benchmark`, see
 * lib/benchmark.ts) one after the other, prints each one's figures (ratios against its own baseline
 * from the same run) and writes them to `<results>/<name>.json` (default bench/results/, and
 * bench/results/quick/ for `--quick`, so a CI-sized run never overwrites the full results the docs quote).
 * `--quick` is the CI size (seconds per benchmark); the default is the full size the docs quote, whose
 * pictures go to docs/. `--docs` then rewrites the results block of docs/benchmarks.md from the results
 * of this invocation (the benchmarks that ran and did not break). Exit status 1 when a benchmark breaks:
 * it throws, or its report names `failures` (a target answered errors: the JSON is written for a look,
 * the numbers stay out of the docs); a missed performance goal is printed, never a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { currentLoad, isBenchmark, type BenchReport, type BenchResultFile, type Benchmark } from './lib/benchmark.js';
import { renderResults, replaceResults } from './lib/docs-report.js';

/** Baselines first: the decision cost is compared with the overhead benchmark's round trip. */
const ORDER = ['overhead', 'decision-cost', 'streaming', 'storm', 'estimator-accuracy'];

export async function discoverBenchmarks(dir: string): Promise<Benchmark[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js') && f !== 'run.js');
  const found: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { benchmark?: unknown };
    if (!isBenchmark(mod.benchmark)) {
      throw new Error(`bench/${basename(file, '.js')}.ts does not export \`benchmark\` (see bench/lib/benchmark.ts)`);
    }
    found.push(mod.benchmark);
  }
  const rank = (b: Benchmark): number => (ORDER.includes(b.name) ? ORDER.indexOf(b.name) : ORDER.length);
  return found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/**
 * The code measured: the commit, and whether the working tree differed from it (uncommitted changes are
 * measured too; earlier results in bench/results/ are not code). `BENCH_REVISION` names it when the tree
 * is an export without .git (git archive).
 */
export function sourceRevision(root: string): { commit: string; dirty: boolean } | null {
  if (process.env.BENCH_REVISION) return { commit: process.env.BENCH_REVISION, dirty: false };
  try {
    const git = (...args: string[]): string => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench', ':!bench/results').length > 0 };
  } catch {
    return null;
  }
}

/** Ratios must be numbers: one whose baseline measured nothing (0, NaN) is dropped and named in the summary. */
function withFiniteRatios(report: BenchReport): BenchReport {
  const bad = Object.entries(report.ratios).filter(([, v]) => !Number.isFinite(v));
  if (bad.length === 0) return report;
  return {
    ...report,
    ratios: Object.fromEntries(Object.entries(report.ratios).filter(([, v]) => Number.isFinite(v))),
    summary: [...report.summary, `not computable this run (a baseline measured nothing): ${bad.map(([k]) => k).join(', ')}`],
  };
}

function formatGoals(report: BenchReport): string[] {
  return report.goals.map((g) => `  ${g.met ? 'met   ' : 'MISSED'} ${g.name}: ${g.value} (goal ${g.target})`);
}

export interface RunOptions {
  /** The benchmarks to choose from (default: the modules next to this file). */
  benchmarks?: readonly Benchmark[];
  /** Where the figures are printed (default stdout). */
  print?: (text: string) => void;
}

export async function runBenchmarks(argv: string[], opts: RunOptions = {}): Promise<number> {
  const print = opts.print ?? ((text: string) => void process.stdout.write(text));
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      results: { type: 'string' },
      list: { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/bench/run.js → the repository root is two levels up.
  const root = resolve(here, '..', '..');
  const all = opts.benchmarks ?? (await discoverBenchmarks(here));
  if (values.list) {
    for (const b of all) print(`${b.name.padEnd(20)} ${(b as Benchmark).description}\n`);
    return 0;
  }
  const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((w) => !all.some((b) => b.name === w)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (have: ${all.map((b) => b.name).join(', ')})\n`);
    return 2;
  }
  const selected = wanted ? all.filter((b) => wanted.includes(b.name)) : all;
  const quick = values.quick ?? false;
  const resultsDir = resolve(values.results ?? join(root, 'bench', 'results', ...(quick ? ['quick'] : [])));
  await mkdir(resultsDir, { recursive: true });
  if (quick && values.results === undefined) await writeFile(join(resultsDir, '.gitignore'), '# CI-sized runs: not the results the docs quote\n*\n');
  const earlier = new Map<string, BenchReport>();
  const revision = sourceRevision(root);
  let failures = 0;

  for (const b of selected) {
    print(`\n== ${b.name} (${quick ? 'quick' : 'full'}) — ${b.description}\n`);
    const loadBefore = currentLoad();
    const started = Date.now();
    // A benchmark left waiting on nothing that keeps the process alive (a promise no timer or socket will
    // settle) would end the run silently with exit 0: it is reported as broken instead.
    const stalled = (): void => {
      print(`  BROKEN: ${b.name} never finished: it waited on something nothing was left to settle\n`);
      process.exitCode = 1;
    };
    process.once('beforeExit', stalled);
    try {
      const measured = await b.run({
        quick,
        resultsDir,
        docsDir: quick ? undefined : join(root, 'docs'),
        earlier,
        log: (line) => process.stderr.write(`[${b.name}] ${line}\n`),
      });
      const report = withFiniteRatios(measured);
      const file: BenchResultFile = {
        name: b.name,
        mode: quick ? 'quick' : 'full',
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        machine: { cpus: cpus().length, totalMemoryBytes: totalmem(), node: process.version, loadBefore, loadAfter: currentLoad() },
        revision,
        ...report,
      };
      await writeFile(join(resultsDir, `${b.name}.json`), `${JSON.stringify(file, null, 2)}\n`);
      const failed = report.failures ?? [];
      if (failed.length === 0) earlier.set(b.name, report);
      else failures += 1;
      for (const line of [...report.summary, ...formatGoals(report), ...failed.map((f) => `  FAILED ${f}`)]) print(`${line}\n`);
      print(`  → ${join(resultsDir, `${b.name}.json`)} (${((Date.now() - started) / 1000).toFixed(1)} s, load ${loadBefore} → ${file.machine.loadAfter})\n`);
    } catch (err) {
      failures += 1;
      print(`  BROKEN: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    } finally {
      process.off('beforeExit', stalled);
    }
  }
  if (values.docs) await writeDocs(root, resultsDir, [...earlier.keys()]);
  return failures > 0 ? 1 : 0;
}

/** Rewrites docs/benchmarks.md's results block from the results of this invocation only (one run). */
async function writeDocs(root: string, resultsDir: string, ran: readonly string[]): Promise<void> {
  const files: BenchResultFile[] = [];
  for (const name of ran) files.push(JSON.parse(await readFile(join(resultsDir, `${name}.json`), 'utf8')) as BenchResultFile);
  const page = join(root, 'docs', 'benchmarks.md');
  const current = await readFile(page, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(page, replaceResults(current, renderResults(files)));
  process.stdout.write(`\nresults of ${files.map((f) => f.name).join(', ')} written to ${page}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBenchmarks(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
