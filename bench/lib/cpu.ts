import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * CPU time of the processes in a run, read from /proc (Linux). On a small machine the load generator, the
 * server and PostgreSQL share the cores, so "where did the CPU go" is the first question about any
 * figure; these samples answer it per scenario. Everything returns null where /proc is unavailable.
 */

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime (children already reaped), seconds. */
  reaped: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const num = (field: number) => Number(fields[field - 3]);
    const hz = clockTicks();
    return { ppid: num(4), own: (num(14) + num(15)) / hz, reaped: (num(16) + num(17)) / hz };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by one process (not its children). */
export function processCpuSeconds(pid: number): number | null {
  return readStat(pid)?.own ?? null;
}

/**
 * CPU seconds used so far by a PostgreSQL cluster: the postmaster, its live children (backends,
 * background workers) and its reaped ones. The postmaster's pid is the first line of postmaster.pid.
 */
export function postgresCpuSeconds(dataDir: string): number | null {
  return postgresCpu(dataDir)?.total ?? null;
}

/**
 * {@link postgresCpuSeconds}, with the WAL writer's share apart: the process that copies the write-ahead
 * log from shared memory into the operating system's files while backends commit without waiting for the
 * disk, so its CPU grows with the bytes of WAL a load writes.
 */
export function postgresCpu(dataDir: string): { total: number; walWriter: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const root = readStat(postmaster);
  if (!root) return null;
  let total = root.own + root.reaped;
  let walWriter = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (!st || st.ppid !== postmaster) continue;
    total += st.own;
    if (processTitle(Number(entry)).startsWith('postgres: walwriter')) walWriter += st.own;
  }
  return { total, walWriter };
}

/** A process's command line as `ps` shows it (PostgreSQL's children set theirs to their role). */
function processTitle(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** CPU seconds used so far by this process (the load generator runs here). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * CPU seconds the whole machine has been busy (all cores, from /proc/stat), so a run can show how much
 * went to processes outside the benchmark: other work on a shared machine skews every figure.
 */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks();
  } catch {
    return null;
  }
}

/** A reading of CPU seconds used so far by one component of a run (null where it cannot be read). */
export type CpuProbe = () => number | null;

/** CPU seconds of each named component, and of the whole machine, at one moment. */
export interface CpuSnapshot {
  /** performance.now() in seconds. */
  wall: number;
  parts: Record<string, number | null>;
  machine: number | null;
}

export function snapshotCpu(probes: Record<string, CpuProbe>): CpuSnapshot {
  const parts: Record<string, number | null> = {};
  for (const [name, probe] of Object.entries(probes)) parts[name] = probe();
  return { wall: performance.now() / 1000, parts, machine: machineBusySeconds() };
}

/** What each component used between two snapshots. */
export interface CpuUsage {
  wallSeconds: number;
  /** CPU seconds per component. */
  seconds: Record<string, number | null>;
  /** Cores kept busy on average (CPU seconds / wall seconds) per component. */
  cores: Record<string, number | null>;
  /**
   * Cores kept busy by everything else on the machine (other processes, kernel time not charged to a
   * process); null when any component could not be read.
   */
  restCores: number | null;
}

export function cpuUsage(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const wallSeconds = b.wall - a.wall;
  const seconds: Record<string, number | null> = {};
  const cores: Record<string, number | null> = {};
  let known: number | null = 0;
  for (const name of Object.keys(a.parts)) {
    const x = a.parts[name] ?? null;
    const y = b.parts[name] ?? null;
    const used = x === null || y === null ? null : y - x;
    seconds[name] = used;
    cores[name] = used === null ? null : used / wallSeconds;
    known = known === null || used === null ? null : known + used;
  }
  const machine = a.machine === null || b.machine === null ? null : b.machine - a.machine;
  return { wallSeconds, seconds, cores, restCores: machine === null || known === null ? null : Math.max(0, machine - known) / wallSeconds };
}

/** Cores as the reports print them. */
export function formatCores(n: number | null): string {
  return n === null ? 'n/a' : n.toFixed(2);
}

/**
 * Pids of processes whose command line contains every one of `parts` (e.g. `['redis-server', ':63809']`
 * for the bench's Redis, which the infrastructure starts without telling its pid). Empty without /proc.
 */
export function pidsByCommandLine(parts: string[]): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (parts.every((p) => cmdline.includes(p))) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
