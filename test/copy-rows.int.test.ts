import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRows, copyText } from '../src/db/copy-text.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

/** copyRows against PostgreSQL: what goes in comes back, whatever the mix of pieces and the chunk edges. */
describe('copyRows', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await hub.ctx.sql.query('CREATE TABLE copy_rows_probe (n integer PRIMARY KEY, a text, b text)');
  });
  afterAll(async () => {
    await hub?.ctx.sql.query('DROP TABLE IF EXISTS copy_rows_probe').catch(() => undefined);
    await hub?.close();
  });

  const stored = async () =>
    (await hub.ctx.sql.query<{ n: number; a: string | null; b: string | null }>('SELECT n, a, b FROM copy_rows_probe ORDER BY n'));

  it('stores rows given as text, as bytes and as pieces of both, across many chunks and a row longer than one', async () => {
    await hub.ctx.sql.query('TRUNCATE copy_rows_probe');
    const long = 'Nguyễn Thị Ánh '.repeat(40_000); // about 700 KB of UTF-8: longer than a chunk
    const expected: Array<{ n: number; a: string | null; b: string | null }> = [];
    const rows: Array<string | Buffer | Array<string | Buffer>> = [];
    for (let n = 0; n < 6_000; n++) {
      const a = n === 2_500 ? long : `Trần Văn ${n}\tcó tab\\ và \\N ${'ư'.repeat(n % 50)}`;
      const b = n % 7 === 0 ? null : `${n}\nline`;
      expected.push({ n, a, b });
      const fields = `${n}\t${copyText(a)}\t${copyText(b)}`;
      if (n % 3 === 0) rows.push(fields);
      else if (n % 3 === 1) rows.push(Buffer.from(fields, 'utf8'));
      else {
        const cut = fields.indexOf('\t', fields.indexOf('\t') + 1);
        rows.push([Buffer.from(fields.slice(0, cut), 'utf8'), fields.slice(cut)]);
      }
    }
    await hub.ctx.sql.tx(async (client) => {
      expect(await copyRows(client, 'copy_rows_probe', ['n', 'a', 'b'], rows)).toBe(rows.length);
    });
    expect(await stored()).toEqual(expected);
  });

  it('leaves no listener behind at each wait for the connection to drain (a large batch warned MaxListenersExceededWarning)', async () => {
    await hub.ctx.sql.query('TRUNCATE copy_rows_probe');
    const pad = 'x'.repeat(200);
    const rows = Array.from({ length: 150_000 }, (_, n) => `${n}\t${pad}\t${pad}`); // about 60 MB: many waits
    const streams: EventEmitter[] = [];
    await hub.ctx.sql.tx(async (client) => {
      // The COPY stream copyRows opens, to count its listeners once it has written everything.
      const query = client.query.bind(client) as (q: unknown) => unknown;
      (client as unknown as { query: (q: unknown) => unknown }).query = (q: unknown) => {
        const out = query(q);
        if (out instanceof EventEmitter) streams.push(out);
        return out;
      };
      try {
        expect(await copyRows(client, 'copy_rows_probe', ['n', 'a', 'b'], rows)).toBe(rows.length);
      } finally {
        (client as unknown as { query: unknown }).query = query;
      }
    });
    expect(streams).toHaveLength(1);
    expect(streams[0]!.listenerCount('error')).toBeLessThanOrEqual(2);
    expect(streams[0]!.listenerCount('drain')).toBe(0);
  });

  it('writes nothing for no rows, and a refused row fails the whole COPY', async () => {
    await hub.ctx.sql.query('TRUNCATE copy_rows_probe');
    await hub.ctx.sql.tx(async (client) => {
      expect(await copyRows(client, 'copy_rows_probe', ['n', 'a', 'b'], [])).toBe(0);
    });
    const rows = Array.from({ length: 20_000 }, (_, n) => `${n === 15_000 ? 1 : n}\tx\ty`); // a duplicate key, chunks in
    await expect(hub.ctx.sql.tx((client) => copyRows(client, 'copy_rows_probe', ['n', 'a', 'b'], rows))).rejects.toMatchObject({ code: '23505' });
    expect(await stored()).toEqual([]);
  });
});
