import { readFileSync } from 'node:fs';

/**
 * Whether a process with this PID exists and has not exited. Signal 0 checks without sending anything; EPERM
 * means it exists but belongs to another user (the `postgres` user's server seen from a non-root hub). A
 * zombie (exited, not yet reaped by its parent: a server whose hub was killed is reparented, and reaped
 * whenever the new parent gets to it) is not alive; Linux says so in `/proc`, elsewhere it counts as alive.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  return procStat(pid)?.[0] === 'Z'; // no /proc (not Linux), or gone meanwhile: not a zombie
}

/**
 * When a process started (Linux: clock ticks since boot, field 22 of `/proc/<pid>/stat`), to tell a process
 * from a later one given the same PID; undefined elsewhere, or when it is gone.
 */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** The fields of `/proc/<pid>/stat` from the state (field 3) on; undefined without /proc or the process. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may hold spaces and parentheses, the state follows the last `)`.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
