import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm } from '../src/db/orm.js';
import { freshDatabase } from './support/fresh-database.js';

const ID_ORDER = 'Migration20261226010000_audit_event_read_indexes';
const TIME_ORDER = 'Migration20261226020000_audit_read_order';

/**
 * A database that ran the first audit-read migration (indexes in id order) gets the (time, id) ones by the second
 * (QA: the first was edited in place, and a database that had run it kept the old indexes), and back.
 */
describe('the audit read migrations', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let orm: MikroORM;
  let client: pg.Client;
  const indexes = async (table: string) => (await client.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE tablename = $1 AND indexname NOT IN ($1 || '_pkey') ORDER BY indexname`, [table])).rows.map((r) => r.indexdef.replace(/^.* USING /, ''));

  beforeAll(async () => {
    db = await freshDatabase();
    orm = await initOrm(db.url, 1);
    await orm.getMigrator().up({ to: ID_ORDER });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await orm?.close();
    await db?.drop();
  });

  it('replaces the id-order indexes with (time, id) ones, refuses REGISTRY_CALL in new rows, and goes back', async () => {
    const idOrder = await indexes('audit_event');
    expect(idOrder).toContain('btree (subject, id)');
    await orm.getMigrator().up({ to: TIME_ORDER });
    const audit = await indexes('audit_event');
    expect(audit).toEqual(expect.arrayContaining(['btree (occurred_at, id)', 'btree (subject, occurred_at, id)', 'btree (officer_id, occurred_at, id) WHERE (officer_id IS NOT NULL)',
      'btree (action, occurred_at, id)', 'btree (operation, occurred_at, id)']));
    expect(audit).not.toContain('btree (subject, id)');
    expect(await indexes('registry_call')).toEqual(expect.arrayContaining(['btree (started_at, id)', 'btree (officer_id, started_at, id)', 'btree (outcome, started_at, id)']));
    await expect(client.query(`INSERT INTO audit_event (action, operation, subject) VALUES ('REGISTRY_CALL', 'x', 'y')`)).rejects.toMatchObject({ code: '23514' });
    await client.query(`INSERT INTO audit_event (action, operation, subject) VALUES ('READ', 'x', 'y')`);
    await orm.getMigrator().down({ to: TIME_ORDER }); // reverts TIME_ORDER itself: back to ID_ORDER
    expect(await indexes('audit_event')).toEqual(idOrder);
    await orm.getMigrator().up({ to: TIME_ORDER });
    expect(await indexes('audit_event')).toEqual(audit);
  });
});
