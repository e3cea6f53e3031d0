import { describe, expect, it } from 'vitest';
import { RequestBudget } from './request-budget.js';
import { FakeClock } from './testing/fake-clock.js';

describe('RequestBudget', () => {
  it('lets the first request go at once and spaces the next ones', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(10, clock.now);
    expect(budget.reserve()).toBe(0);
    expect(budget.reserve()).toBe(100);
    // A second caller that books before the first has waited queues behind it.
    expect(budget.reserve()).toBe(200);
  });

  it('earns at most one request of credit while idle (no bursts)', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(10, clock.now);
    budget.reserve();
    clock.advance(10_000);
    expect(budget.reserve()).toBe(0);
    expect(budget.reserve()).toBe(100);
  });

  it('counts time spent since the last request', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(4, clock.now);
    budget.reserve();
    clock.advance(100);
    expect(budget.reserve()).toBe(150);
  });
});
