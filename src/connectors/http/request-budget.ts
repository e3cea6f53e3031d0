/**
 * A token bucket of `requestsPerSecond` holding at most one request: requests are spaced at least
 * 1/rate apart and idle time earns no burst. Each caller books its slot before waiting (the balance may go
 * negative), so concurrent callers queue up instead of racing for the same token.
 */
export class RequestBudget {
  private tokens = 1;
  private last: number;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => Date,
  ) {
    this.intervalMs = 1000 / requestsPerSecond;
    this.last = now().getTime();
  }

  /** Books the next request; returns how long to wait before sending it (0 when the budget allows it now). */
  reserve(): number {
    const t = this.now().getTime();
    // A clock that steps backwards earns nothing rather than a debt.
    const elapsed = Math.max(0, t - this.last);
    this.last = Math.max(this.last, t);
    this.tokens = Math.min(1, this.tokens + elapsed / this.intervalMs);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : -this.tokens * this.intervalMs;
  }
}
