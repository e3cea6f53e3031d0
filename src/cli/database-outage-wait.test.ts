import { describe, expect, it, vi } from 'vitest';
import { DatabaseOutageWait } from './database-outage-wait.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('DatabaseOutageWait', () => {
  const setup = (interrupted = () => false) => {
    const told: string[] = [];
    const slept: number[] = [];
    const wait = new DatabaseOutageWait({
      onWaiting: (reason) => told.push(`waiting: ${reason}`),
      onBack: () => told.push('back'),
      interrupted,
      sleep: async (ms) => void slept.push(ms),
    });
    return { wait, told, slept };
  };

  it('waits out a restart (57P01, 57P03, refused, terminated), told once, with a bounded backoff, and returns the answer', async () => {
    const { wait, told, slept } = setup();
    const failures = [
      pgError('57P01', 'terminating connection due to administrator command'),
      new Error('Connection terminated unexpectedly'),
      pgError('57P03', 'the database system is shutting down'),
      ...Array.from({ length: 6 }, () => pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:55841')),
      pgError('57P03', 'the database system is starting up'),
    ];
    const read = vi.fn(async () => {
      const f = failures.shift();
      if (f) throw f;
      return { status: 'SUCCEEDED' };
    });
    await expect(wait.read(read)).resolves.toEqual({ status: 'SUCCEEDED' });
    expect(read).toHaveBeenCalledTimes(11);
    expect(told).toEqual(['waiting: [57P01] terminating connection due to administrator command', 'back']);
    expect(slept).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000, 5000]);
    expect(wait.waiting).toBe(false);

    // A later outage is told again, its backoff starting over.
    const again = [pgError('57P03', 'the database system is shutting down')];
    await wait.read(async () => {
      const f = again.shift();
      if (f) throw f;
      return 1;
    });
    expect(told).toEqual(['waiting: [57P01] terminating connection due to administrator command', 'back', 'waiting: [57P03] the database system is shutting down', 'back']);
    expect(slept.at(-1)).toBe(500);
  });

  it('a read a frozen server leaves unanswered is told as waiting, and as back when it answers (QA re-check: silent for a 60 s freeze)', async () => {
    const told: string[] = [];
    const wait = new DatabaseOutageWait({ onWaiting: (reason) => told.push(`waiting: ${reason}`), onBack: () => told.push('back'), noAnswerMs: 20 });
    expect(await wait.read(() => new Promise((r) => setTimeout(() => r('row'), 120)))).toBe('row');
    expect(told).toEqual(['waiting: no answer for 0 s', 'back']);
    // A read that answers in time tells nothing.
    expect(await wait.read(async () => 'row')).toBe('row');
    expect(told).toHaveLength(2);
  });

  it('any other error fails the read as before, and nothing is told', async () => {
    const { wait, told } = setup();
    await expect(wait.read(async () => { throw pgError('42703', 'column "x" does not exist'); })).rejects.toMatchObject({ code: '42703' });
    await expect(wait.read(async () => { throw new Error('run run_1 disappeared'); })).rejects.toThrow('disappeared');
    expect(told).toEqual([]);
  });

  it('an interrupted command (Ctrl-C closed its pool) is not kept waiting', async () => {
    const { wait, told } = setup(() => true);
    await expect(wait.read(async () => { throw new Error('Connection terminated'); })).rejects.toThrow('Connection terminated');
    expect(told).toEqual([]);
  });

  it('a refused connection with no message (several addresses) is named by its code', async () => {
    const { wait, told } = setup();
    let first = true;
    await wait.read(async () => {
      if (first) {
        first = false;
        throw Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
      }
      return 1;
    });
    expect(told[0]).toBe('waiting: ECONNREFUSED');
  });
});
