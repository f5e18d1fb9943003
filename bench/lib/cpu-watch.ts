/**
 * How much of the machine's CPU went to processes other than the bench and its children
 * while a part ran (Linux /proc; null elsewhere). The parts run one after another, so
 * another tenant's burst during one part skews the ratios between parts. This figure
 * shows which parts were measured on a busy machine.
 *
 *   other = busy jiffies of all CPUs (user, nice, system, irq, softirq, steal)
 *         - jiffies of this process (worker threads included), of the children it has
 *           reaped (cutime, cstime) and of its live children
 */
import { readFileSync } from 'node:fs';
import { childPids } from '../../harness/child.ts';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** [busy, total] jiffies over all CPUs, from the first line of /proc/stat. */
function machineJiffies(): [number, number] | null {
  const line = read('/proc/stat')?.split('\n')[0];
  if (line === undefined || !line.startsWith('cpu ')) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
  return [busy, busy + idle! + iowait!];
}

/** utime + stime (+ cutime + cstime when `reaped`) of a process, in jiffies. */
function processJiffies(pid: number | 'self', reaped: boolean): number {
  const text = read(`/proc/${pid}/stat`);
  if (text === null) return 0;
  // Fields after the parenthesised command name; utime is field 14 of the whole line.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  const own = f[11]! + f[12]!;
  return reaped ? own + f[13]! + f[14]! : own;
}

function ourJiffies(): number {
  return processJiffies('self', true) + childPids().reduce((n, pid) => n + processJiffies(pid, false), 0);
}

export class CpuWatch {
  readonly #start: [number, number] | null;
  readonly #ours: number;

  constructor() {
    this.#start = machineJiffies();
    this.#ours = ourJiffies();
  }

  /** Percent of all CPUs' time used by other processes since construction; NaN off Linux. */
  otherCpuPct(): number {
    const end = machineJiffies();
    if (this.#start === null || end === null) return NaN;
    const total = end[1] - this.#start[1];
    if (total <= 0) return NaN;
    const other = end[0] - this.#start[0] - (ourJiffies() - this.#ours);
    return Math.round((Math.max(0, other) / total) * 1000) / 10;
  }
}
