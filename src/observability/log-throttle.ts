/**
 * Lets one log line per kind through every `intervalMs`, counting the ones it holds back, so a failure that
 * repeats every second or two (Redis refusing writes, a connection lost) is said once per interval with how
 * often it happened meanwhile, instead of flooding the log. Returns, for a line of kind `key`, null when it
 * is held back, else how many of that kind were held back since the last one let through.
 */
export function logThrottle(intervalMs = 10_000, now: () => number = Date.now): (key: string) => number | null {
  const seen = new Map<string, { at: number; heldBack: number }>();
  return (key) => {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < intervalMs) {
      last.heldBack++;
      return null;
    }
    seen.set(key, { at: t, heldBack: 0 });
    return last?.heldBack ?? 0;
  };
}
