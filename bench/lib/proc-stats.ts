/**
 * Per-process memory and CPU from Linux /proc, so each server (simulator, gateway, nginx) is measured on
 * its own: resident set size now and at its high-water mark (VmRSS, VmHWM in /proc/PID/status) and CPU
 * seconds used (utime + stime in /proc/PID/stat, in clock ticks of 1/100 s on Linux).
 */
import { readFileSync } from 'node:fs';

export interface ProcStats {
  rssBytes: number;
  /** Peak RSS since the process started. */
  hwmBytes: number;
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** Undefined when the process is gone (or this is not Linux). */
export function readProcStats(pid: number): ProcStats | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** The sum over several processes (nginx's master and worker), peaks summed as an upper bound. */
export function readProcGroupStats(pids: readonly number[]): ProcStats | undefined {
  const all = pids.map(readProcStats).filter((s): s is ProcStats => s !== undefined);
  if (all.length === 0) return undefined;
  return all.reduce((a, b) => ({ rssBytes: a.rssBytes + b.rssBytes, hwmBytes: a.hwmBytes + b.hwmBytes, cpuSeconds: a.cpuSeconds + b.cpuSeconds }));
}

/** Direct children of a process (nginx's workers), from /proc/PID/task/TID/children. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface ProcWatch {
  /** Stops sampling; returns RSS at start, the highest sampled RSS, and CPU seconds used meanwhile. */
  stop(): { startRssBytes: number; peakRssBytes: number; endRssBytes: number; cpuSeconds: number; samples: number };
}

/** Samples RSS of `pids()` every `intervalMs` until stopped (a function, so nginx workers are found late). */
export function watchProcesses(pids: () => readonly number[], intervalMs = 50): ProcWatch {
  const first = readProcGroupStats(pids());
  const startRss = first?.rssBytes ?? 0;
  const startCpu = first?.cpuSeconds ?? 0;
  let peak = startRss;
  let last = first;
  let samples = 1;
  const timer = setInterval(() => {
    const s = readProcGroupStats(pids());
    if (!s) return;
    samples += 1;
    last = s;
    peak = Math.max(peak, s.rssBytes);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const end = readProcGroupStats(pids()) ?? last;
      if (end) peak = Math.max(peak, end.rssBytes);
      return { startRssBytes: startRss, peakRssBytes: peak, endRssBytes: end?.rssBytes ?? 0, cpuSeconds: (end?.cpuSeconds ?? startCpu) - startCpu, samples };
    },
  };
}
