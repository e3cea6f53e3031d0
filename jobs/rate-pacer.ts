import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Lua computing `share`, the part of the rate in force now (warm-up, after Guava's SmoothWarmingUp): KEYS[3]
 * holds when the current busy spell began and expires after ARGV[3] µs without a call, so the first call
 * after an idle spell (or ever) starts a ramp from ARGV[4] of the rate to all of it over ARGV[5] µs.
 * Expects `now` (µs). A cold start (processes just started, new connections, JIT) stretches the time from
 * admission to arrival by hundreds of milliseconds, far beyond the headroom; a lower rate meanwhile keeps
 * the registry's window under its quota.
 */
const WARM_SHARE = `local share = 1
local warmup = tonumber(ARGV[5])
if warmup > 0 then
  local since = tonumber(redis.call('GET', KEYS[3]) or '0')
  if since == 0 then since = now end
  redis.call('SET', KEYS[3], string.format('%.0f', since), 'PX', math.max(1, math.floor(tonumber(ARGV[3]) / 1000)))
  local elapsed = now - since
  if elapsed < warmup then
    local first = tonumber(ARGV[4])
    share = first + (1 - first) * elapsed / warmup
  end
end`;

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
${WARM_SHARE}
redis.call('SET', KEYS[1], string.format('%.0f', tat + math.ceil(tonumber(ARGV[1]) / share)), 'PX', 60000)
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
${WARM_SHARE}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - 1000000))
if redis.call('ZCARD', KEYS[1]) >= math.max(1, math.floor(tonumber(ARGV[1]) * share + 1e-9)) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2000)
return now`;

/** Moves send ARGV[1] of the log to now (re-adding it if it already left: a call longer than the window). */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2000)
return 0`;

const PENALIZE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1]) * 1000
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > cur then redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', tonumber(ARGV[1]) + 60000) end
return 0`;

/** An admitted send: Redis's time of admission (µs) and its entry in the send log. */
export interface Permit {
  at: number;
  member: string;
}

export interface RatePacerOptions {
  /** Redis key prefix (the queue prefix), so hubs sharing a Redis do not share a quota by accident. */
  prefix: string;
  /** Name of the rate, e.g. `population-db`. */
  name: string;
  /** Calls per second at most. */
  perSecond: number;
  /**
   * Share of the rate the schedule paces calls at. The hard limit (admission) is the whole of `perSecond`;
   * pacing a little below it leaves room for calls that a stall has bunched together, so they are admitted
   * instead of being refused and rebooked. @defaultValue 0.97
   */
  utilisation?: number;
  /**
   * Warm-up: after `idleMs` without a call (and at the very first), the rate restarts at
   * `warmupStartShare` of itself and climbs linearly to all of it over `warmupMs`. 0 turns it off.
   * @defaultValue 0
   */
  warmupMs?: number;
  /** Share of the rate at the start of a warm-up, in (0, 1]. @defaultValue 0.5 */
  warmupStartShare?: number;
  /** Time without a call after which the next one starts a new warm-up. @defaultValue 5000 */
  idleMs?: number;
}

/**
 * Paces calls to a rate-limited service shared by every process, in three steps:
 * 1. **Schedule** (GCRA): each call reserves the next slot, evenly spaced at `perSecond × utilisation`,
 *    and sleeps until it.
 * 2. **Admission** at wake-up: the call goes out only if the send log (a Redis sorted set, Redis's clock)
 *    holds fewer than `floor(perSecond)` sends in the last second and no 429 penalty runs; the send is
 *    logged at its admission time.
 * 3. **Settle** when the call has ended: its log entry moves to that time.
 *
 * The service counts a call when it arrives, which is after its admission and before its answer; the log
 * keeps each call at its admission while it is in flight and at its answer afterwards, so every call the
 * service counts in a 1-second window is in the log's window when a later call asks for admission. Hence no
 * window, as the service counts it, holds more than `perSecond` calls however calls are delayed on the
 * way (a stalled event loop, a slow connection, a service that stamps late), as long as no call takes
 * longer than a second. (Counting admissions alone let calls delayed 40 ms on the way meet the next second's
 * calls in the service's window: 2–8 HTTP 429s per run of the identity benchmark.)
 *
 * A caller that wakes late (a GC pause, a busy event loop) may still send when the window has room, which
 * it has exactly because its own slot went unused: stalls do not cost slots. A caller refused (a full
 * window, a 429 penalty) books a new slot.
 *
 * With `warmupMs`, both steps run at a reduced share of the rate for a while after an idle spell: cold
 * processes and new connections delay sends by far more than the headroom covers (measured: 100–400 ms in
 * the first second of a run, against 10 ms later), and those late sends would reach the registry together.
 */
export class RatePacer {
  private readonly slotKey: string;
  private readonly penaltyKey: string;
  private readonly sentKey: string;
  private readonly warmKey: string;
  /** ARGV[3..5] of both scripts: idle µs, start share, warm-up µs. */
  private readonly warmArgs: [string, string, string];
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
    this.warmKey = `${base}:warm`;
    const startShare = opts.warmupStartShare ?? 0.5;
    if (!(startShare > 0 && startShare <= 1)) throw new RangeError('warmupStartShare must be in (0, 1]');
    this.warmArgs = [String(Math.round((opts.idleMs ?? 5000) * 1000)), String(startShare), String(Math.round((opts.warmupMs ?? 0) * 1000))];
    this.intervalUs = Math.ceil(1_000_000 / (opts.perSecond * (opts.utilisation ?? 0.97)));
    this.perWindow = Math.max(1, Math.floor(opts.perSecond + 1e-9));
  }

  /** Reserves the next slot; returns how long to wait for it, in microseconds. */
  async reserve(): Promise<number> {
    return Number(
      await this.redis.eval(RESERVE, 3, this.slotKey, this.penaltyKey, this.warmKey, String(this.intervalUs), '', ...this.warmArgs),
    );
  }

  /**
   * Admits one send now if the last second holds fewer than {@link perSecondLimit} sends and no 429
   * penalty runs; returns the permit (Redis's time of the send, in microseconds), or null when refused.
   */
  async admit(): Promise<Permit | null> {
    const member = `${this.instance}:${++this.sends}`;
    const at = Number(
      await this.redis.eval(ADMIT, 3, this.sentKey, this.penaltyKey, this.warmKey, String(this.perWindow), member, ...this.warmArgs),
    );
    return at > 0 ? { at, member } : null;
  }

  /**
   * Waits for this caller's slot, then for admission; books a new slot when refused. Resolves with the
   * permit of the admitted send, to {@link settle} once the call is answered.
   */
  async acquire(signal?: AbortSignal): Promise<Permit> {
    for (;;) {
      const waitUs = await this.reserve();
      if (waitUs > 0) await sleep(Math.ceil(waitUs / 1000), signal);
      signal?.throwIfAborted();
      const permit = await this.admit();
      if (permit) return permit;
    }
  }

  /**
   * The call of `permit` has ended (answered, failed or timed out): its entry in the send log moves to now,
   * the latest moment the service can have counted it. A send delayed between admission and arrival (a
   * stalled event loop, a slow connection) is then still counted here while it is in the service's window,
   * so the sends admitted one second later cannot join it there.
   */
  async settle(permit: Permit): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.sentKey, permit.member);
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
