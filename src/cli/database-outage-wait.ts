import { unavailableDependency } from '../errors/unavailable-dependency.js';
import { errorReason } from '../util/error-reason.js';

export interface DatabaseOutageWaitOptions {
  /** Told once when the database stops answering, with what the failed read said (never the connection's settings). */
  onWaiting: (reason: string) => void;
  /** Told once when it answers again, with how long it did not, in ms. */
  onBack: (awayMs: number) => void;
  /** Whether the command was interrupted (Ctrl-C): an error then is the closed pool's, not waited out. @defaultValue never */
  interrupted?: () => boolean;
  /** First wait before a read is tried again, in ms; each next one doubles. @defaultValue 500 */
  firstDelayMs?: number;
  /** Longest wait between tries, in ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /** @defaultValue setTimeout (tests pass their own) */
  sleep?: (ms: number) => Promise<void>;
  /**
   * A read still unanswered after this long is told as waiting too (a frozen server answers nothing and fails
   * nothing), and as back when it answers. @defaultValue 5000
   */
  noAnswerMs?: number;
}

/**
 * Reads of a command that follows something in the database (`connectors sync` following its run) waited out
 * through an outage of the database: a read that fails because PostgreSQL is unreachable or restarting
 * (`unavailableDependency`: connection refused, reset or terminated, 57P01–57P03, class 08) is tried again,
 * with a backoff, until the database answers; the person is told once that it waits, and once that it answers
 * again. Any other error is thrown as it came. There is no deadline of its own: the command follows for as long
 * as it would have (QA: a PostgreSQL restart made `connectors sync` exit 1 with `[57P03] the database system is
 * shutting down` while the worker's retry took the run on to SUCCEEDED, and cron scripts read a failed sync).
 */
export class DatabaseOutageWait {
  private awaySince: number | null = null;

  constructor(private readonly opts: DatabaseOutageWaitOptions) {}

  /** Whether the last read failed for the database's being out of reach (and none has answered since). */
  get waiting(): boolean {
    return this.awaySince !== null;
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    const first = this.opts.firstDelayMs ?? 500;
    const max = this.opts.maxDelayMs ?? 5_000;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let delay = first;
    for (;;) {
      // A server frozen (SIGSTOP, a paused VM) or cut off neither answers nor fails: said all the same (QA re-check:
      // silent for a 60 s freeze).
      const noAnswer = setTimeout(() => {
        if (this.awaySince !== null) return;
        this.awaySince = Date.now();
        this.opts.onWaiting(`no answer for ${Math.round((this.opts.noAnswerMs ?? 5_000) / 1000)} s`);
      }, this.opts.noAnswerMs ?? 5_000);
      noAnswer.unref();
      try {
        const value = await fn().finally(() => clearTimeout(noAnswer));
        if (this.awaySince !== null) {
          const away = Date.now() - this.awaySince;
          this.awaySince = null;
          this.opts.onBack(away);
        }
        return value;
      } catch (err) {
        if (this.opts.interrupted?.() || unavailableDependency(err) === null) throw err;
        if (this.awaySince === null) {
          this.awaySince = Date.now();
          this.opts.onWaiting(errorReason(err));
        }
        await sleep(delay);
        delay = Math.min(max, delay * 2);
      }
    }
  }
}
