import { isProcessAlive } from './process-alive.js';

/**
 * Stops a server this process did not start as its child (one another hub process started, or one whose
 * starter is gone): `soft` (PostgreSQL's fast shutdown, Redis's shutdown), then `hard` if it is still
 * running after `graceMs`. Resolves once it is gone; `gone` may say so sooner (the server's port answering as
 * another process).
 */
export async function stopServerProcess(
  pid: number,
  opts: { soft: NodeJS.Signals; hard: NodeJS.Signals; graceMs: number; gone?: () => Promise<boolean> },
): Promise<void> {
  const gone = async () => !isProcessAlive(pid) || (opts.gone ? await opts.gone() : false);
  signal(pid, opts.soft);
  const deadline = Date.now() + opts.graceMs;
  while (!(await gone())) {
    if (Date.now() > deadline) {
      signal(pid, opts.hard);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends a signal; a process already gone is not an error. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
