/**
 * Quota accounting for the population-database simulator: a sliding one-second window over the times of
 * accepted requests, as an API gateway in front of the registry would count them.
 */

/** What {@link SlidingWindowQuota.tryAcquire} decided. */
export type QuotaDecision =
  | {
      allowed: true;
      /** Accepted requests in the window, this one included. */
      inWindow: number;
    }
  | {
      allowed: false;
      /** When the oldest request in the window leaves it, i.e. when a retry can succeed (> 0). */
      retryAfterMs: number;
    };

/**
 * Counts accepted requests in a sliding window (a ring of their timestamps). A request that would make the
 * window hold more than `limit` requests is refused and not recorded: a refused call does not consume
 * quota, so a client that backs off correctly gets through as soon as the window has room.
 *
 * The ring holds at most `limit` entries when a limit is set, so each decision is O(1) amortised. With no
 * limit it grows to the peak rate, which is still needed to report {@link maxInWindow}.
 */
export class SlidingWindowQuota {
  private times: Float64Array;
  private head = 0;
  private size = 0;
  private peak = 0;
  private readonly limit: number;

  /**
   * @param limit - accepted requests allowed per window; `0`, a negative number or `Infinity` disables the limit
   *   (requests are still counted).
   * @param windowMs - window length. @defaultValue 1000
   */
  constructor(
    limit: number,
    private readonly windowMs = 1000,
  ) {
    this.limit = Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : Number.POSITIVE_INFINITY;
    this.times = new Float64Array(Number.isFinite(this.limit) ? Math.max(1, this.limit) : 1024);
  }

  /** The configured limit (`Infinity` when disabled). */
  get limitPerWindow(): number {
    return this.limit;
  }

  /** The most requests ever accepted within one window since construction or {@link resetPeak}. */
  get maxInWindow(): number {
    return this.peak;
  }

  /** Accepted requests currently in the window ending at `now`. */
  inWindow(now: number = performance.now()): number {
    this.evict(now);
    return this.size;
  }

  /** Decides on one request arriving at `now` (monotonic milliseconds) and records it when allowed. */
  tryAcquire(now: number = performance.now()): QuotaDecision {
    this.evict(now);
    if (this.size >= this.limit) {
      const oldest = this.times[this.head]!;
      // Entries are kept while strictly newer than `now - windowMs`, so the oldest leaves at oldest + windowMs.
      return { allowed: false, retryAfterMs: Math.max(1, oldest + this.windowMs - now) };
    }
    if (this.size === this.times.length) this.grow();
    this.times[(this.head + this.size) % this.times.length] = now;
    this.size++;
    if (this.size > this.peak) this.peak = this.size;
    return { allowed: true, inWindow: this.size };
  }

  /** Forgets the peak (the window itself is kept: it describes real traffic, not statistics). */
  resetPeak(): void {
    this.peak = this.size;
  }

  private evict(now: number): void {
    const horizon = now - this.windowMs;
    while (this.size > 0 && this.times[this.head]! <= horizon) {
      this.head = (this.head + 1) % this.times.length;
      this.size--;
    }
  }

  private grow(): void {
    const next = new Float64Array(this.times.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.times[(this.head + i) % this.times.length]!;
    this.times = next;
    this.head = 0;
  }
}
