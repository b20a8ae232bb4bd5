import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of the bench's process tree, by part: where an operation's CPU goes on the shared cores.
 * Linux only (/proc); elsewhere every snapshot is empty and the figures carry no breakdown.
 *
 * Each process counts its own user and system time plus that of its children it has reaped, so a
 * PostgreSQL backend that exited between two snapshots still counts, in its postmaster.
 */
export type CpuSnapshot = Map<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  seconds: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces; the fields after the last ')' are fixed.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // After comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return { pid, ppid: Number(f[1]), comm, seconds: ticks / TICKS_PER_SECOND };
  } catch {
    return null; // gone between the listing and the read
  }
}

/**
 * CPU seconds so far of this process and every descendant, summed by part. `named` labels known
 * processes (the API, the workers) and everything under them; any other descendant is labelled
 * by its executable's name (`temporal`, `postgres`), this process is `bench`.
 */
export function cpuSnapshot(named: ReadonlyMap<number, string>): CpuSnapshot {
  const totals: CpuSnapshot = new Map();
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return totals;
  }
  const stats = new Map<number, ProcStat>();
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) stats.set(pid, s);
  }
  // The chain from a process up to this one: named if any process on it is named (the one nearest
  // this process wins), else by the executable of the process just under this one.
  const labelOf = (pid: number): string | null => {
    if (pid === process.pid) return 'bench';
    const chain: number[] = [];
    for (let p: number | undefined = pid; p !== undefined && p > 1 && chain.length < 64; p = stats.get(p)?.ppid) {
      if (p === process.pid) {
        const top = [...chain].reverse().find((c) => named.has(c));
        return top !== undefined ? named.get(top)! : (stats.get(chain[chain.length - 1])?.comm ?? null);
      }
      chain.push(p);
    }
    return null; // not ours
  };
  for (const s of stats.values()) {
    const label = labelOf(s.pid);
    if (label) totals.set(label, (totals.get(label) ?? 0) + s.seconds);
  }
  return totals;
}

/** CPU seconds spent by each part between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const spent: CpuSnapshot = new Map();
  for (const [label, seconds] of after) spent.set(label, seconds - (before.get(label) ?? 0));
  return spent;
}

/** Adds `more` into `into`. */
export function addCpu(into: CpuSnapshot, more: CpuSnapshot): void {
  for (const [label, seconds] of more) into.set(label, (into.get(label) ?? 0) + seconds);
}

/** Milliseconds of CPU per operation by part, largest first, with the total; parts under 0.05 ms are left out. */
export function cpuPerOperation(spent: CpuSnapshot, operations: number): Record<string, number> {
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const parts = [...spent]
    .map(([label, s]) => [label, (s * 1000) / operations] as const)
    .filter(([, ms]) => ms >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  return {
    total: round(parts.reduce((sum, [, ms]) => sum + ms, 0)),
    ...Object.fromEntries(parts.map(([l, ms]) => [l, round(ms)])),
  };
}
