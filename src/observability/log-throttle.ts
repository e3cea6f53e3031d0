/**
 * Lets one log line per kind through every `intervalMs`, counting the ones it holds back, so a failure that
 * repeats every second or two (Redis refusing writes, a connection lost) is said once per interval with how
 * often it happened meanwhile, instead of flooding the log. Returns, for a line of kind `key`, null when it
 * is held back, else how many of that kind were held back since the last one let through.
 */
export function logThrottle(intervalMs = 10_000, now: () => number = () => Date.now(), maxKinds = MAX_KINDS): (key: string) => number | null {
  const seen = new Map<string, { at: number; heldBack: number }>();
  return (key) => {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < intervalMs) {
      last.heldBack++;
      return null;
    }
    // Bounded (QA: a long outage's messages with ids the kinds do not fold each stayed for good): kinds whose interval
    // is over are forgotten first (a count they held back is lost, not a line), then all, past `maxKinds`.
    if (!last && seen.size >= maxKinds) {
      for (const [k, v] of seen) if (t - v.at >= intervalMs) seen.delete(k);
      if (seen.size >= maxKinds) seen.clear();
    }
    seen.set(key, { at: t, heldBack: 0 });
    return last?.heldBack ?? 0;
  };
}

/** Kinds a throttle remembers at most. */
const MAX_KINDS = 1_000;

/** One throttle for the whole process: a failure every worker, queue and connection meets at once is still said once per 10 s. */
const processThrottle = logThrottle();

/**
 * {@link logThrottle} shared by the whole process, for a line of kind `kind` about `message`: messages that
 * differ only in numbers or hashes (a script's line, a job id) are one kind (QA: six queues and a dozen
 * connections each logged the same Redis refusal, and the script line in BullMQ's message made kinds of it).
 */
/** Hex runs, ULIDs (the hub's ids, `run_01J…`, and job ids: letters and digits) and numbers, folded into one kind. */
const ID_LIKE = /\b[0-9a-f]{6,}\b|[0-9A-HJKMNP-TV-Z]{26}|\d+/gi;

export function admitRepeated(kind: string, message = ''): number | null {
  return processThrottle(`${kind}\0${message.replace(ID_LIKE, '#')}`);
}
