/**
 * Lets pending I/O callbacks run (setImmediate: after the poll phase). Long CPU loops over a batch call it
 * every few hundred records, so a transaction running on the same event loop is not held up behind them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
