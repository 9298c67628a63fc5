/**
 * `listgate calibrate --kubeconfig FILE [--resource secrets] [--samples N] …`: measures the apiserver's
 * memory per response byte (calibrate-run.ts) and prints the `estimator.factors.versions` entry to paste
 * into the configuration, with the measurements as comments (or all of it as JSON with -o json).
 */
import { stringify } from 'yaml';
import { parseDuration } from '../config/duration.js';
import { formatBytes } from '../estimate/format-bytes.js';
import { parseMinorVersion } from '../estimate/resolve-factors.js';
import { bytesFlag, CliError, intFlag, parseFlags } from './args.js';
import { connectKubeconfig } from './calibrate-client.js';
import { runCalibration, type CalibrationResult, type Mode } from './calibrate-run.js';

const MODE_WORDS: Record<Mode, string> = {
  etcd: 'from etcd',
  consistent: 'consistent read (resourceVersion unset)',
  cache: 'from the watch cache (resourceVersion=0)',
  paginated: 'a continued page of a paginated list',
};

export function renderCalibration(r: CalibrationResult, resource: string, when = new Date()): string {
  const minor = parseMinorVersion(r.version);
  const key = minor ? `${minor[0]}.${minor[1]}` : r.profile.fromVersion;
  const comments = [
    `listgate calibrate, ${when.toISOString()}: ${r.server} (${r.version ?? 'version unknown'})`,
    `${resource}: ${r.items} objects, a ${formatBytes(r.listBytes)} JSON list; memory from ${r.metric}`,
    ...(['etcd', 'consistent', 'cache', 'paginated'] as Mode[])
      .filter((m) => r.factors[m] !== undefined)
      .map((m) => {
        const steps = r.steps.filter((s) => s.mode === m).map((s) => `N=${s.concurrency} ${s.factor.toFixed(2)}×`);
        const per = m === 'paginated' ? ' per byte of the page held (memory follows the page)' : '';
        const spread = r.spread[m] !== undefined ? ` (spread ${Math.round(r.spread[m]! * 100)} %)` : '';
        return `${MODE_WORDS[m]}: ${steps.join(', ')} → ${r.factors[m]}×${per}${spread}`;
      }),
    ...(Object.entries(r.unmeasured) as Array<[Mode, string]>).map(([m, why]) => `${MODE_WORDS[m]}: not measured: ${why}`),
    ...r.notes,
  ];
  const json: Record<string, number> = {};
  if (r.factors.etcd !== undefined) json.etcd = r.factors.etcd;
  if (r.factors.cache !== undefined) json.cache = r.factors.cache;
  if (Object.keys(json).length === 0) {
    return `${[...comments, 'nothing to put in the configuration: neither the etcd nor the watch-cache factor could be measured'].map((c) => `# ${c}`).join('\n')}\n`;
  }
  const profile: Record<string, unknown> = { amplification: { json } };
  if (r.consistentListFromCache !== undefined) profile.consistentListFromCache = r.consistentListFromCache;
  profile.source = `listgate calibrate ${when.toISOString().slice(0, 10)}: ${resource}, N=1–${Math.max(...r.steps.map((s) => s.concurrency))}, ${r.metric}`;
  const snippet = stringify({ estimator: { factors: { versions: { [key]: profile } } } }, { lineWidth: 0 });
  return `${comments.map((c) => `# ${c}`).join('\n')}\n${snippet}`;
}

function durationFlag(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new CliError(`listgate calibrate: --${name} must be a duration such as 5s or 500ms, got "${String(value)}"`);
  return ms;
}

export async function runCalibrate(argv: string[]): Promise<void> {
  const { values } = parseFlags('calibrate', argv, {
    kubeconfig: { type: 'string' },
    resource: { type: 'string' },
    namespace: { type: 'string' },
    samples: { type: 'string' },
    'max-concurrency': { type: 'string' },
    budget: { type: 'string' },
    settle: { type: 'string' },
    interval: { type: 'string' },
    rounds: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (typeof values.kubeconfig !== 'string') throw new CliError("listgate calibrate: --kubeconfig FILE is required (see 'listgate calibrate --help')");
  const output = values.output ?? 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new CliError(`listgate calibrate: -o must be yaml or json, got "${String(output)}"`);
  const resource = typeof values.resource === 'string' ? values.resource : 'secrets';
  const dot = resource.indexOf('.');
  const target = await connectKubeconfig(values.kubeconfig);
  try {
    const result = await runCalibration(target, {
      group: dot === -1 ? '' : resource.slice(dot + 1),
      resource: dot === -1 ? resource : resource.slice(0, dot),
      ...(typeof values.namespace === 'string' ? { namespace: values.namespace } : {}),
      samples: intFlag('calibrate', 'samples', values.samples, 5, 1),
      maxConcurrency: intFlag('calibrate', 'max-concurrency', values['max-concurrency'], 4, 1),
      budgetBytes: bytesFlag('calibrate', 'budget', values.budget, 2 * 1024 ** 3)!,
      settleMs: durationFlag('settle', values.settle, 60_000),
      intervalMs: durationFlag('interval', values.interval, 1000),
      rounds: intFlag('calibrate', 'rounds', values.rounds, 2, 1),
      log: (line) => process.stderr.write(`calibrate: ${line}\n`),
    });
    process.stdout.write(output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderCalibration(result, resource));
    if (result.factors.etcd === undefined && result.factors.cache === undefined) process.exitCode = 1;
  } finally {
    target.close();
  }
}
