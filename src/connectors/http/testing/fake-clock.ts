/**
 * A clock for tests of waits: `sleep` records the delay and moves time forward at once, so backoffs,
 * Retry-After and the request budget are asserted without waiting.
 */
export class FakeClock {
  readonly sleeps: number[] = [];
  private t: number;

  /** By default a day after the last-modified values of the tests' records (25 November 2026), which are then past. */
  constructor(start: Date | string = '2026-11-26T03:00:00.000Z') {
    this.t = new Date(start).getTime();
  }

  readonly now = (): Date => new Date(this.t);

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };

  advance(ms: number): void {
    this.t += ms;
  }
}
