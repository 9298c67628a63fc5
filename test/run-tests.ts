/**
 * `npm test`, `npm run test:apiserver` and `npm run test:bench`: runs the compiled test files with node's
 * runner and the summary reporter (support/summary-reporter.ts). Three suites, by folder:
 *   (default)      every test file outside the two folders below;
 *   --apiserver    test/apiserver/: the real-apiserver suite, which needs `KUBEBUILDER_ASSETS` (the envtest
 *                  binaries) and fails at once, with one line saying how to get them, when it is missing;
 *   --bench-run    test/bench-run/: the benchmarks' CI-sized run, checked (CI runs it once).
 * Files named on the command line (dist paths) narrow a suite.
 *
 * Files run `TEST_CONCURRENCY` at a time, each in its own process: 3 in the default suite (its files
 * spend part of their time waiting on servers and child processes), 2 beside real apiservers. Files
 * that say `// runs alone: <why>` at the start of a line run after the others, one at a time: they
 * measure the machine (an apiserver's memory under a storm, a gateway's RSS, timings on 2 cores).
 *
 * Every process of the run (test files and the gateways, simulators and CLIs they start) issues its
 * serving and client certificates with keys from one pool of RSA keys made here (`LISTGATE_LEAF_KEY_POOL`,
 * src/certs/pki.ts): a 2048-bit key costs ~150 ms of CPU, and the suite issues hundreds of certificates.
 */
import { generateKeyPair } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LEAF_KEY_POOL_ENV } from '../src/certs/pki.js';
import { findEnvtestAssets } from './support/apiserver/envtest-assets.js';
import summaryReporter from './support/summary-reporter.js';

const here = dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const SUITES = { '--apiserver': 'apiserver', '--bench-run': 'bench-run' } as const;

const args = process.argv.slice(2);
const flag = args.find((a): a is keyof typeof SUITES => a in SUITES);
const apiserver = flag === '--apiserver';
const named = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
const inside = (dir: string, f: string) => !relative(join(here, dir), f).startsWith('..');
const inSuite = (f: string) => (flag ? inside(SUITES[flag], f) : Object.values(SUITES).every((dir) => !inside(dir, f)));
const files = named.length > 0 ? named : testFiles(here).filter(inSuite);

if (apiserver) {
  const found = findEnvtestAssets();
  if ('problem' in found) {
    console.error(`test:apiserver: ${found.problem}`);
    process.exit(2);
  }
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(2);
}
const concurrency = Number(process.env['TEST_CONCURRENCY'] ?? (flag ? '2' : '3'));
const alone = (f: string): boolean => /^\/\/ runs alone:/m.test(readFileSync(f, 'utf8'));
const phases: Array<{ files: string[]; concurrency: number }> = [
  { files: files.filter((f) => !alone(f)), concurrency },
  { files: files.filter(alone), concurrency: 1 },
];

/** Leaf keys for the run: enough that one PKI (the demo's has six leaves) never issues the same key twice. */
async function leafKeyPool(count: number): Promise<string> {
  const keys = await Promise.all(Array.from({ length: count }, () => promisify(generateKeyPair)('rsa', { modulusLength: 2048 })));
  const dir = mkdtempSync(join(tmpdir(), 'listgate-test-keys-'));
  writeFileSync(join(dir, 'leaf-keys.pem'), keys.map((k) => k.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()).join(''), { mode: 0o600 });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'leaf-keys.pem');
}
process.env[LEAF_KEY_POOL_ENV] ??= await leafKeyPool(8);

let failing = false;
async function* events(): AsyncGenerator<{ type: string; data: unknown }> {
  for (const phase of phases) {
    if (phase.files.length === 0) continue;
    for await (const event of run({ files: phase.files, concurrency: phase.concurrency }) as AsyncIterable<{ type: string; data: unknown }>) {
      if (event.type === 'test:fail') failing = true;
      yield event;
    }
  }
}
for await (const line of summaryReporter(events())) process.stdout.write(line);
process.exitCode = failing ? 1 : 0;
