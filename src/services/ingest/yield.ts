/**
 * How long a CPU loop may hold the event loop before {@link yieldIfBusy} lets I/O in (ms). A tenth of a
 * millisecond: an HTTP sync's transaction makes about ten round trips a page, each waiting for the staging
 * loop to let its answer in; at half a millisecond those waits made a page's transaction about 15% longer
 * and the sync about 6% longer (202,549 records, alternating runs; a 1M-row CSV about 1.5%), and the more
 * frequent yields (a `setImmediate` turn each) did not measurably change a sync's CPU.
 */
export const BUSY_MS = 0.1;
let lastYield = 0;

/**
 * A yield to the event loop when the loop calling it has held it for more than {@link BUSY_MS} since the
 * last yield (anyone's), else undefined: call it once per record, as `const y = yieldIfBusy(); if (y)
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
