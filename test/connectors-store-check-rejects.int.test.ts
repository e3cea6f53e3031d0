import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { CELL, plainRows, withCells } from './support/register-rows.js';
import { tempDir } from './support/temp-dir.js';

/**
 * A record the mapping reads but the store's own check refuses (a name longer than the store keeps) is quarantined
 * like a record the mapping refuses (QA): its reason names the field as the mapping's do and says what is wrong in
 * words, the `field` filter finds it, and its payload is the row as it arrived, not what the mapping made of it.
 */
describe('a reject of the store\'s check', () => {
  let hub: TestHub;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-store-check-');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 99, count: 30, brokenRows: 0 });
    const file = drop.files.find((f) => f.path.endsWith('.csv'))!.path;
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    hub = await startTestHub();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, withCells(text, plainRows(text, 1, 5), CELL.name, [`NGUYỄN ${'VĂN '.repeat(60)}AN`]));
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [file] });
    expect(run).toMatchObject({ status: 'SUCCEEDED', rejected: 1 });
  });

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  it('names the field and the length, is found by its field, and keeps the row as it arrived', async () => {
    const token = await hub.token({ roles: ['data_steward'] });
    const res = await hub.gql<{ rejectedRecords: Array<{ reasons: Array<{ field: string; code: string; message: string }>; payload: string }>; rejectedRecordCount: number }>(
      '{ rejectedRecords(connector: "justice-register", field: "fullName") { reasons { field code message } payload } rejectedRecordCount(connector: "justice-register", field: "fullName") }',
      {}, token);
    expect(res.body.errors).toBeUndefined();
    const [reject] = res.body.data!.rejectedRecords;
    expect(res.body.data!.rejectedRecordCount).toBe(1);
    expect(reject!.reasons).toContainEqual({ field: 'fullName', code: 'TOO_LONG', message: 'is longer than the 200 characters it may have; got text of 249 characters' });
    const payload = JSON.parse(reject!.payload) as Record<string, unknown>;
    // The row's cells under its headers, as a mapping's reject keeps them: not the mapped record.
    expect(payload).not.toHaveProperty('sourceSystem');
    expect(payload).not.toHaveProperty('raw');
    expect(Object.values(payload)).toContain(`NGUYỄN ${'VĂN '.repeat(60)}AN`);
  });
});
