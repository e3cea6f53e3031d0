/**
 * Spaces a connector's requests so that no second holds more than `requestsPerSecond` of them, as a source
 * counting its callers' requests in any one-second window sees them arrive: at least 1/rate apart, plus
 * {@link HEADROOM} of it, measured from when each request really left (handed to the operating system:
 * {@link sent}; {@link sending} when it never is, a connection refused), not from when it was booked, and idle
 * time earns no burst. Exactly 1/rate apart, a request sent a few milliseconds late and the next one on time made
 * a sixth request within one second at 5 a second (QA). Each caller books its slot before waiting, so concurrent
 * callers queue up instead of racing for the same one.
 */
export class RequestBudget {
  /** The earliest time the next request may be sent (ms since the epoch). */
  private nextAt: number;
  /** Requests booked and not yet sent. */
  private queued = 0;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => Date,
  ) {
    this.intervalMs = (1000 / requestsPerSecond) * (1 + HEADROOM);
    this.nextAt = now().getTime();
  }

  /** Books the next request; returns how long to wait before sending it (0 when the budget allows it now). */
  reserve(): number {
    const t = this.now().getTime();
    // A clock that steps backwards is not waited out: a slot is at most one interval behind those booked before it.
    const at = Math.min(Math.max(this.nextAt, t), t + this.intervalMs * (this.queued + 1));
    this.nextAt = at + this.intervalMs;
    this.queued++;
    return at - t;
  }

  /**
   * Says that a request booked by {@link reserve} is about to be sent (after its wait, or given up): a request that
   * goes later than its slot (a timer fired late, the process was busy) pushes the next slot back by as much.
   */
  sending(): void {
    this.queued = Math.max(0, this.queued - 1);
    const t = this.now().getTime();
    if (this.queued === 0) this.nextAt = Math.max(this.nextAt, t + this.intervalMs);
  }

  /**
   * Says that a request was handed to the operating system now: the next may not leave within an interval of it,
   * however late it left after {@link sending} (a connection opened first, the event loop busy in between).
   */
  sent(): void {
    this.nextAt = Math.max(this.nextAt, this.now().getTime() + this.intervalMs);
  }
}

/**
 * The share of the interval added between requests: over any second, 2% of it (20 ms) of slack against the jitter of
 * timers and of the network between the hub and the source, as the population database's pacer keeps by default.
 */
export const HEADROOM = 0.02;
