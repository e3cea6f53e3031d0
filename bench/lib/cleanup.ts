/**
 * Cleanups that must run even when the bench is interrupted (Ctrl-C): a server process or an embedded
 * PostgreSQL left behind would hold its port and make the next run fail.
 */
type Task = () => Promise<void>;

const tasks = new Set<Task>();

/**
 * Registers `fn` to run on interruption and returns a function that runs it now (once) and unregisters
 * it, for the normal `finally` path.
 */
export function deferCleanup(fn: Task): () => Promise<void> {
  let done = false;
  const task: Task = async () => {
    if (done) return;
    done = true;
    await fn();
  };
  tasks.add(task);
  return async () => {
    tasks.delete(task);
    await task();
  };
}

/** Runs every pending cleanup, newest first (a server stops before the database it uses). */
export async function runPendingCleanups(): Promise<void> {
  const pending = [...tasks].reverse();
  tasks.clear();
  for (const t of pending) await t().catch(() => {});
}
