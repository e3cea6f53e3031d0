/** How long a CPU loop may hold the event loop before {@link yieldIfBusy} lets I/O in (ms). */
const BUSY_MS = 0.5;
let lastYield = 0;

/**
 * A yield to the event loop when the loop calling it has held it for more than half a millisecond since
 * the last yield (anyone's), else undefined: call it once per record, as `const y = yieldIfBusy(); if (y)
 * await y;`. A connector stages its next batch while the current one is stored on the same event loop;
 * each statement of that transaction waits for the staging loop to let its answer in, so a loop that held
 * the event loop for 10 ms at a time (a slice of 500 records mapped in one go) added 10 ms to every round
 * trip, and the transaction, not the staging, set the pace. Checking the clock costs tens of nanoseconds;
 * counting records instead cannot know how long a record takes.
 */
export function yieldIfBusy(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield < BUSY_MS) return undefined;
  return new Promise((resolve) =>
    setImmediate(() => {
      lastYield = performance.now();
      resolve();
    }),
  );
}
