import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { buildChildren } from './support/build-children.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

// The demo's population (seed 2026): child T0002479 was found abandoned (birth registered 2018 with the note
// "Trẻ bị bỏ rơi", KS256021175) and adopted on 2021-08-27 (NCN217347853); both rows carry its number. T0002030
// was too, adopted on 2020-07-20 (NCN253576714).
const SEED = 2026;
const COUNT = 2500;
const ADOPTED = '001218674046';
const ALSO_ADOPTED = '001316552631';

interface Membership { group: string; startedOn: string | null; endedOn: string | null; evidenceSource: string; sourceRecordId: string }
interface ChildNode { id: string; identityNumber: string; groups: string[]; specialCircumstances: Membership[] }

/**
 * Special-circumstance groups end to end: the justice register's drops through the connector, the golden-record
 * stage and the gateway. An adoption registration ends the group its row names (the child's circumstance before
 * the adoption) at the registration date, with every other piece of evidence of that group: the child leaves
 * `children(filter: { group })` and keeps the ended memberships, with their dates, on `specialCircumstances`.
 */
describe('special-circumstance groups from the justice register', () => {
  let hub: TestHub;
  let root: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'childhub-groups-'));
    process.env.JUSTICE_REGISTER_DROP_DIR = path.join(root, 'drop');
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0';
    mkdirSync(process.env.JUSTICE_REGISTER_DROP_DIR);
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(root, { recursive: true, force: true });
    process.env = saved;
  });

  /** Moves one of the simulator's files into the drop folder, syncs it and builds the children. */
  const syncFile = async (file: string) => {
    renameSync(file, path.join(process.env.JUSTICE_REGISTER_DROP_DIR!, path.basename(file)));
    expect(await hub.ctx.connectors.run('justice-register', { trigger: 'CLI' })).toMatchObject({ status: 'SUCCEEDED', rejected: 0 });
    await buildChildren(hub.ctx);
  };

  type Page = { children: { nodes: ChildNode[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
  const abandoned = async (): Promise<ChildNode[]> => {
    const nodes: ChildNode[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<ReturnType<typeof hub.gql<Page>>> = await hub.gql<Page>(
        `query Q($after: String) { children(first: 100, after: $after, filter: { group: ABANDONED }) {
           nodes { id identityNumber groups specialCircumstances { group startedOn endedOn evidenceSource sourceRecordId } }
           pageInfo { endCursor hasNextPage } } }`, { after }, await hub.token());
      expect(res.body.errors).toBeUndefined();
      nodes.push(...res.body.data!.children.nodes);
      if (!res.body.data!.children.pageInfo.hasNextPage) return nodes;
      after = res.body.data!.children.pageInfo.endCursor;
    }
  };

  const childWithNumber = async (number: string): Promise<ChildNode> => {
    const { id } = (await hub.ctx.sql.one<{ id: string }>('SELECT id FROM child WHERE identity_number = $1', [number]))!;
    const res = await hub.gql<{ child: ChildNode }>(
      `{ child(id: "${id}") { id identityNumber groups specialCircumstances { group startedOn endedOn evidenceSource sourceRecordId } } }`, {}, await hub.token());
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.child;
  };

  const externalId = async (sourceRecordId: string) =>
    (await hub.ctx.sql.one<{ external_id: string }>('SELECT external_id FROM source_record WHERE id = $1', [sourceRecordId]))!.external_id;

  it('takes an adopted child out of the abandoned children at its adoption, keeping the ended memberships with their dates', async () => {
    const { files } = await writeJusticeRegisterDrop({ dir: path.join(root, 'written'), seed: SEED, count: COUNT });
    const births = files.find((f) => f.kind === 'birth')!;
    const adoptions = files.find((f) => f.kind === 'adoption')!;

    // Before the adoption register arrives the child is one of the commune's abandoned children.
    await syncFile(births.path);
    const before = await abandoned();
    expect(before.map((c) => c.identityNumber)).toEqual(expect.arrayContaining([ADOPTED, ALSO_ADOPTED]));
    expect((await childWithNumber(ADOPTED)).specialCircumstances).toEqual([
      expect.objectContaining({ group: 'ABANDONED', startedOn: '2018-04-14', endedOn: null, evidenceSource: 'JUSTICE_REGISTER' }),
    ]);

    await syncFile(adoptions.path);
    const after = await abandoned();
    // Both adopted children left; every other abandoned child is still there.
    expect(after.map((c) => c.id).sort()).toEqual(before.filter((c) => c.identityNumber !== ADOPTED && c.identityNumber !== ALSO_ADOPTED).map((c) => c.id).sort());
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c.specialCircumstances.filter((m) => m.group === 'ABANDONED').some((m) => m.endedOn === null)).toBe(true);

    // History, not gone: the birth register's evidence ended on the registration date of the adoption, and the
    // adoption register's own evidence says the circumstance ended then.
    const adopted = await childWithNumber(ADOPTED);
    expect(adopted.groups).toEqual([]);
    const evidence = await Promise.all(adopted.specialCircumstances.map(async (m) => ({ ...m, sourceRecordId: await externalId(m.sourceRecordId) })));
    expect(evidence.sort((a, b) => a.sourceRecordId.localeCompare(b.sourceRecordId))).toEqual([
      { group: 'ABANDONED', startedOn: '2018-04-14', endedOn: '2021-08-27', evidenceSource: 'JUSTICE_REGISTER', sourceRecordId: 'KS256021175' },
      { group: 'ABANDONED', startedOn: null, endedOn: '2021-08-27', evidenceSource: 'JUSTICE_REGISTER', sourceRecordId: 'NCN217347853' },
    ]);
    expect((await childWithNumber(ALSO_ADOPTED)).specialCircumstances.map((m) => m.endedOn)).toEqual(['2020-07-20', '2020-07-20']);
  }, 120_000);
});
