/**
 * Whether a process with this PID exists. Signal 0 checks without sending anything; EPERM means it exists but
 * belongs to another user (the `postgres` user's server seen from a non-root hub).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
