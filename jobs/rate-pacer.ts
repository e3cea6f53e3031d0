import type { Redis } from 'ioredis';

/**
 * Reserves the next free slot of a rate shared by every process (GCRA with no burst): each call moves
 * the key's "theoretical arrival time" one interval on and returns how long the caller must wait for
 * its slot. Redis's clock is the only clock, so any number of workers on any number of machines stay
 * within one rate. Slots are spaced evenly, so any 1-second window holds at most rate + 1 calls.
 * Times are microseconds (~1.8e15): Lua's tostring() would write them in scientific notation and lose
 * the low digits, collapsing slots into bursts, so they are formatted as integers.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local penalty = tonumber(redis.call('GET', KEYS[2]) or '0')
if penalty > tat then tat = penalty end
redis.call('SET', KEYS[1], string.format('%.0f', tat + tonumber(ARGV[1])), 'PX', 60000)
return tat - now`;

const PENALIZE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1]) * 1000
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > cur then redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', tonumber(ARGV[1]) + 60000) end
return 0`;

/** How late after its slot a caller may still send (ms); later, it books a new slot. */
const LATE_MS = 10;

export interface RatePacerOptions {
  /** Redis key prefix (the queue prefix), so hubs sharing a Redis do not share a quota by accident. */
  prefix: string;
  /** Name of the rate, e.g. `population-db`. */
  name: string;
  /** Calls per second at most. */
  perSecond: number;
  /**
   * Share of the rate actually used. Clocks and network jitter shift calls by a few milliseconds between
   * reserving a slot and reaching the registry; a little headroom keeps every 1-second window under the
   * quota as the registry counts it. @defaultValue 0.97
   */
  utilisation?: number;
}

export class RatePacer {
  private readonly slotKey: string;
  private readonly penaltyKey: string;
  private readonly intervalUs: number;

  constructor(
    private readonly redis: Redis,
    opts: RatePacerOptions,
  ) {
    this.slotKey = `${opts.prefix}:rate:${opts.name}:tat`;
    this.penaltyKey = `${opts.prefix}:rate:${opts.name}:penalty`;
    this.intervalUs = Math.ceil(1_000_000 / (opts.perSecond * (opts.utilisation ?? 0.97)));
  }

  /** Reserves the next slot; returns how long to wait for it, in microseconds. */
  async reserve(): Promise<number> {
    return Number(await this.redis.eval(RESERVE, 2, this.slotKey, this.penaltyKey, String(this.intervalUs)));
  }

  /**
   * Waits for this caller's slot. A caller that wakes up late (a GC pause, a busy event loop) gives its
   * slot up and books a new one: sent late, its call would land in the next second together with that
   * second's own calls, and the registry would count more than the quota.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const waitUs = await this.reserve();
      const slotAt = performance.now() + waitUs / 1000;
      if (waitUs > 0) await sleep(Math.ceil(waitUs / 1000), signal);
      if (performance.now() - slotAt <= LATE_MS) return;
    }
  }

  /** Microseconds between two slots. */
  get interval(): number {
    return this.intervalUs;
  }

  /** After a 429: nobody gets a slot for `ms` (every process backs off together). */
  async penalize(ms: number): Promise<void> {
    await this.redis.eval(PENALIZE, 1, this.penaltyKey, String(Math.max(1, Math.round(ms))));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    // The listener goes as soon as the wait ends: one job makes many calls on one signal.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
