/**
 * How long the same signal again counts as the same request, in ms. One Ctrl-C of `npm run demo` reaches
 * the hub more than once: the terminal sends SIGINT to the whole foreground group, npm forwards its own to
 * its child, and tsx's CLI (`tsx src/cli/main.ts`) relays it again when the child has not acknowledged it
 * within 30 ms, which a loaded machine misses (QA: `shutting down gracefully` then `second signal: exiting
 * now` in the same second, the demo's files left behind).
 */
export const REPEATED_SIGNAL_WINDOW_MS = 2_000;

/** What a signal means to a process that shuts down on the first one. */
export type SignalKind = 'first' | 'repeat' | 'again';

/**
 * Tells the first signal (start shutting down) from a repeat of it within `windowMs` (the same request:
 * ignore it) and from any later or different one (the user insists: exit now).
 */
export function signalClassifier(windowMs = REPEATED_SIGNAL_WINDOW_MS, now: () => number = Date.now): (signal: NodeJS.Signals) => SignalKind {
  let first: { signal: NodeJS.Signals; at: number } | null = null;
  return (signal) => {
    if (!first) {
      first = { signal, at: now() };
      return 'first';
    }
    return signal === first.signal && now() - first.at < windowMs ? 'repeat' : 'again';
  };
}
