import { describe, expect, it } from 'vitest';
import { HEADROOM, RequestBudget } from './request-budget.js';
import { FakeClock } from './testing/fake-clock.js';

/** The spacing of requests at `rate` a second: 1/rate and the headroom. */
const spacing = (rate: number) => (1000 / rate) * (1 + HEADROOM);

describe('RequestBudget', () => {
  it('lets the first request go at once and spaces the next ones by 1/rate and the headroom', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(10, clock.now);
    expect(budget.reserve()).toBe(0);
    expect(budget.reserve()).toBeCloseTo(spacing(10), 9);
    // A second caller that books before the first has waited queues behind it.
    expect(budget.reserve()).toBeCloseTo(2 * spacing(10), 9);
  });

  it('earns at most one request of credit while idle (no bursts)', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(10, clock.now);
    budget.reserve();
    budget.sending();
    clock.advance(10_000);
    expect(budget.reserve()).toBe(0);
    budget.sending();
    expect(budget.reserve()).toBeCloseTo(spacing(10), 9);
  });

  it('counts time spent since the last request', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(4, clock.now);
    budget.reserve();
    budget.sending();
    clock.advance(100);
    expect(budget.reserve()).toBeCloseTo(spacing(4) - 100, 9);
  });

  it('spaces requests from when they really left: one sent late pushes the next back (QA: six in one second at 5 a second)', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(5, clock.now);
    const sentAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      clock.advance(budget.reserve());
      // Every third request leaves 8 ms after its slot: a timer fired late, the process was busy.
      if (i % 3 === 1) clock.advance(8);
      budget.sending();
      sentAt.push(clock.now().getTime());
    }
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(spacing(5) - 1e-9);
    // No window of one second holds more than 5: the 6th after any request is over a second later, by the headroom.
    for (let i = 5; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 5]!).toBeGreaterThanOrEqual(1000 * (1 + HEADROOM) - 1e-9);
  });

  it('spaces the next request from when this one was handed to the operating system, however late after its wait (QA re-check: a first connection)', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(5, clock.now);
    budget.reserve();
    budget.sending();
    // Opening the connection took 40 ms before the request left.
    clock.advance(40);
    budget.sent();
    expect(budget.reserve()).toBeCloseTo(spacing(5), 9);
  });

  it('does not wait out a clock that stepped backwards', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(10, clock.now);
    budget.reserve();
    budget.sending();
    clock.advance(-3_600_000);
    expect(budget.reserve()).toBeLessThanOrEqual(spacing(10));
  });
});
