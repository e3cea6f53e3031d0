import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('GroupCommit', () => {
  it('writes items added in the same turn in one write, and settles each caller after it', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>({ write: async (items) => void writes.push(items), maxBatch: 10 });
    await Promise.all([1, 2, 3].map((i) => commit.add(i)));
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('writes at most maxBatch items at a time', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>({ write: async (items) => void writes.push(items), maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => commit.add(i)));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('writes an item a resumed caller adds before the drain has ended (it was left until some later add)', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>({ write: async (items) => void writes.push(items), maxBatch: 10 });
    // The continuation after the first add runs before the drain's own end: its add finds the drain still running.
    const second = commit.add(1).then(() => commit.add(2));
    await expect(Promise.race([second.then(() => 'written'), new Promise((r) => setTimeout(() => r('left waiting'), 500))])).resolves.toBe('written');
    expect(writes).toEqual([[1], [2]]);
  });

  it('tries a failed shared write item by item when retryAlone says so: only the bad item fails', async () => {
    const written: number[] = [];
    const failed: number[] = [];
    const commit = new GroupCommit<number>({
      write: async (items) => {
        if (items.includes(2)) throw Object.assign(new Error('bad item'), { code: '22021' });
      },
      maxBatch: 10,
      retryAlone: (err) => (err as { code?: string }).code === '22021',
      onWritten: (i) => written.push(i),
      onFailed: (_err, items) => failed.push(items),
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => commit.add(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([1, 3]);
    expect(failed).toEqual([1]);
  });

  it('fails the whole batch at once when retryAlone says no (an outage)', async () => {
    let writes = 0;
    const failed: number[] = [];
    const commit = new GroupCommit<number>({
      write: async () => {
        writes++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      maxBatch: 10,
      retryAlone: () => false,
      onFailed: (_err, items) => failed.push(items),
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => commit.add(i)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(writes).toBe(1);
    expect(failed).toEqual([3]);
  });
});
