import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time from /proc, for "ms of CPU per booking" figures: per process tree (a child and its
 * descendants), for every process of one command name (Postgres backends), and machine-wide.
 * Linux only; a process that exits inside the window takes its ticks with it (none should).
 */
interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

/** Clock ticks a second (`getconf CLK_TCK`; 100 on every Linux we run on, the fallback). */
export const clockTicks = (() => {
  const answer = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  return Number.isFinite(answer) && answer > 0 ? answer : 100;
})();

function readProcesses(): ProcStat[] {
  const found: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // The command may hold spaces and parentheses: the fields after it start past the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    found.push({ pid: Number(entry), ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return found;
}

export interface CpuSnapshot {
  at: number;
  processes: ProcStat[];
  /** /proc/stat's first line: busy and iowait ticks over all cores. */
  machineBusy: number;
  machineIowait: number;
  machineTotal: number;
}

export function snapshot(): CpuSnapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...values] = line.trim().split(/\s+/);
  const ticks = values.map(Number);
  // user nice system idle iowait irq softirq steal (guest is already inside user).
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { at: Date.now(), processes: readProcesses(), machineBusy: total - idle, machineIowait: ticks[4] ?? 0, machineTotal: total };
}

/** What a group of processes is: the tree under a pid, one process alone, or every process of a command name. */
export type Group = { tree: number } | { only: number } | { comm: string };

function members(processes: readonly ProcStat[], group: Group): ProcStat[] {
  if ('comm' in group) return processes.filter((p) => p.comm === group.comm);
  if ('only' in group) return processes.filter((p) => p.pid === group.only);
  const inTree = new Set([group.tree]);
  // Parents come before children in pid order almost always; repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const p of processes) {
      if (inTree.has(p.pid) || !inTree.has(p.ppid)) continue;
      inTree.add(p.pid);
      added = true;
    }
  }
  return processes.filter((p) => inTree.has(p.pid));
}

/** CPU milliseconds the group spent between two snapshots (processes present in both, or born after). */
export function groupCpuMs(before: CpuSnapshot, after: CpuSnapshot, group: Group): number {
  const earlier = new Map(before.processes.map((p) => [p.pid, p.ticks]));
  const ticks = members(after.processes, group).reduce((sum, p) => sum + p.ticks - (earlier.get(p.pid) ?? 0), 0);
  return (ticks * 1000) / clockTicks;
}

export interface MachineCpu {
  /** CPU milliseconds spent (all cores, not idle nor iowait). */
  busyMs: number;
  iowaitMs: number;
  /** Busy share of all cores over the window, 0..1. */
  utilisation: number;
}

export function machineCpu(before: CpuSnapshot, after: CpuSnapshot): MachineCpu {
  const busy = after.machineBusy - before.machineBusy;
  const total = after.machineTotal - before.machineTotal;
  return { busyMs: (busy * 1000) / clockTicks, iowaitMs: ((after.machineIowait - before.machineIowait) * 1000) / clockTicks, utilisation: total > 0 ? busy / total : 0 };
}
