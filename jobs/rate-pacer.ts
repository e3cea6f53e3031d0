import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Reserves the next free slot of a rate shared by every process (GCRA with no burst): each call moves
 * the key's "theoretical arrival time" one interval on and returns how long the caller must wait for
 * its slot. Redis's clock is the only clock, so any number of workers on any number of machines stay
 * within one rate.
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

/**
 * Admission at send time, the quota's hard limit: refused while a 429 penalty runs, or when the last
 * second (Redis's clock) already holds ARGV[1] sends; otherwise the send is logged (a sorted set of send
 * times, member ARGV[2]) and its time returned. 0 means refused.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local penalty = tonumber(redis.call('GET', KEYS[2]) or '0')
if penalty > now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - 1000000))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2000)
return now`;

const PENALIZE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1]) * 1000
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > cur then redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', tonumber(ARGV[1]) + 60000) end
return 0`;

export interface RatePacerOptions {
  /** Redis key prefix (the queue prefix), so hubs sharing a Redis do not share a quota by accident. */
  prefix: string;
  /** Name of the rate, e.g. `population-db`. */
  name: string;
  /** Calls per second at most. */
  perSecond: number;
  /**
   * Share of the rate actually used. Event-loop lag and network jitter shift calls by a few milliseconds
   * between their admission (counted on Redis's clock) and reaching the registry; a little headroom keeps
   * every 1-second window under the quota as the registry counts it. @defaultValue 0.97
   */
  utilisation?: number;
}

/**
 * Paces calls to a rate-limited service shared by every process, in two steps:
 * 1. **Schedule** (GCRA): each call reserves the next slot, evenly spaced at `perSecond × utilisation`,
 *    and sleeps until it.
 * 2. **Admission** at wake-up: the call goes out only if the last second, as Redis counts it, holds fewer
 *    than `floor(perSecond × utilisation)` sends; every admitted send is logged there.
 *
 * So no 1-second window (Redis's clock) ever holds more than that many calls, however callers are delayed.
 * A caller that wakes late (a GC pause, a busy event loop, a starved process) may still send when its
 * window has room, which it has exactly because its own slot went unused: stalls no longer cost slots, as
 * they did when a late caller had to give its slot up. A caller refused (a full window, a 429 penalty)
 * books a new slot. After a stall, late callers may go out close together, up to the window's room.
 */
export class RatePacer {
  private readonly slotKey: string;
  private readonly penaltyKey: string;
  private readonly sentKey: string;
  private readonly intervalUs: number;
  private readonly perWindow: number;
  /** Makes this process's entries in the send log unique. */
  private readonly instance = randomBytes(6).toString('hex');
  private sends = 0;

  constructor(
    private readonly redis: Redis,
    opts: RatePacerOptions,
  ) {
    const base = `${opts.prefix}:rate:${opts.name}`;
    this.slotKey = `${base}:tat`;
    this.penaltyKey = `${base}:penalty`;
    this.sentKey = `${base}:sent`;
    const rate = opts.perSecond * (opts.utilisation ?? 0.97);
    this.intervalUs = Math.ceil(1_000_000 / rate);
    // The epsilon keeps 500 × 0.97 at 485: in binary floating point it is 484.99999999999994.
    this.perWindow = Math.max(1, Math.floor(rate + 1e-9));
  }

  /** Reserves the next slot; returns how long to wait for it, in microseconds. */
  async reserve(): Promise<number> {
    return Number(await this.redis.eval(RESERVE, 2, this.slotKey, this.penaltyKey, String(this.intervalUs)));
  }

  /**
   * Admits one send now if the last second holds fewer than {@link perSecondLimit} sends and no 429
   * penalty runs; returns Redis's time of the send in microseconds, or 0 when refused.
   */
  async admit(): Promise<number> {
    const member = `${this.instance}:${++this.sends}`;
    return Number(await this.redis.eval(ADMIT, 2, this.sentKey, this.penaltyKey, String(this.perWindow), member));
  }

  /**
   * Waits for this caller's slot, then for admission; books a new slot when refused. Resolves with Redis's
   * time of the admitted send (microseconds).
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    for (;;) {
      const waitUs = await this.reserve();
      if (waitUs > 0) await sleep(Math.ceil(waitUs / 1000), signal);
      signal?.throwIfAborted();
      const admittedAt = await this.admit();
      if (admittedAt > 0) return admittedAt;
    }
  }

  /** Microseconds between two slots. */
  get interval(): number {
    return this.intervalUs;
  }

  /** Most sends admitted within any 1-second window. */
  get perSecondLimit(): number {
    return this.perWindow;
  }

  /** After a 429: nobody gets a slot, or is admitted, for `ms` (every process backs off together). */
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
