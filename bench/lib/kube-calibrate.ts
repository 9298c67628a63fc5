/**
 * `listgate calibrate` run as an operator runs it (the built CLI, a kubeconfig, `-o json`), against the
 * benchmark's apiserver: its JSON result (src/cli/calibrate-run.ts CalibrationResult), its progress
 * lines passed on, and how long it took.
 */
import { spawn } from 'node:child_process';
import type { CalibrationResult } from '../../src/cli/calibrate-run.js';
import { CLI } from './bench-stack.js';

export interface CalibrateRun {
  args: string[];
  exitCode: number | null;
  seconds: number;
  /** The parsed result; undefined when the command printed none (its stderr tail says why). */
  result: CalibrationResult | undefined;
  stderrTail: string;
}

export async function runListgateCalibrate(kubeconfig: string, flags: readonly string[], log: (line: string) => void): Promise<CalibrateRun> {
  const args = ['calibrate', '--kubeconfig', kubeconfig, '-o', 'json', ...flags];
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(line.trim());
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  let result: CalibrationResult | undefined;
  try {
    result = JSON.parse(stdout) as CalibrationResult;
  } catch {
    result = undefined;
  }
  return { args, exitCode, seconds: (performance.now() - started) / 1000, result, stderrTail: stderr.trim().slice(-1000) };
}
