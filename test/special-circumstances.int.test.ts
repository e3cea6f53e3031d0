import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { SourceRecordInput } from '../src/domain/source-record-input.js';
import { generateSourceRecords } from '../src/sample/source-views.js';
import type { AdoptionRegistration } from '../src/sample/sources/justice-register.js';
import { buildChildren } from './support/build-children.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

// The demo's population (seed 2026); 4,000 children hold abandoned and orphaned children adopted since, whose
// birth registration and adoption registration carry the same number (the hub links records by number only).
const SEED = 2026;
const COUNT = 4000;

interface Membership { group: string; startedOn: string | null; endedOn: string | null; evidenceSource: string; sourceRecordId: string }
interface ChildNode { id: string; identityNumber: string; groups: string[]; commune: { code: string }; specialCircumstances: Membership[] }
type Page = { children: { nodes: ChildNode[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
const FIELDS = 'id identityNumber groups commune { code } specialCircumstances { group startedOn endedOn evidenceSource sourceRecordId }';

/** The population's adoptions whose child's birth registration carries its number, with that registration. */
function linkedAdoptions(): Array<{ adoption: SourceRecordInput; birth: SourceRecordInput }> {
  const births = new Map<string, SourceRecordInput>();
  const adoptions: SourceRecordInput[] = [];
  for (const { record } of generateSourceRecords({ seed: SEED, count: COUNT, sources: ['justice-register'] })) {
    if (record.externalId.startsWith('NCN')) adoptions.push(record);
    else if (record.identityNumber) births.set(record.identityNumber, record);
  }
  return adoptions.filter((a) => births.has(a.identityNumber!)).map((adoption) => ({ adoption, birth: births.get(adoption.identityNumber!)! }));
}

const isoOf = (dmy: string) => dmy.split('/').reverse().join('-');

/**
 * Special-circumstance groups end to end: the justice register's drops through the connector, the golden-record
 * stage and the gateway. An adoption registration ends the group its row names (the child's circumstance before
 * the adoption) at the registration date, with every other piece of evidence of that group: the child leaves
 * `children(filter: { group })` and keeps the ended memberships, with their dates, on `specialCircumstances`;
 * the adoption, registered where the family lives and later than the birth, gives the child's commune.
 */
describe('special-circumstance groups from the justice register', () => {
  let hub: TestHub;
  let root: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    root = tempDir('childhub-groups-');
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

  const inGroup = async (group: string): Promise<ChildNode[]> => {
    const nodes: ChildNode[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<ReturnType<typeof hub.gql<Page>>> = await hub.gql<Page>(
        `query Q($after: String) { children(first: 100, after: $after, filter: { group: ${group} }) { nodes { ${FIELDS} } pageInfo { endCursor hasNextPage } } }`,
        { after }, await hub.token());
      expect(res.body.errors).toBeUndefined();
      nodes.push(...res.body.data!.children.nodes);
      if (!res.body.data!.children.pageInfo.hasNextPage) return nodes;
      after = res.body.data!.children.pageInfo.endCursor;
    }
  };

  const childWithNumber = async (number: string): Promise<ChildNode> => {
    const { id } = (await hub.ctx.sql.one<{ id: string }>('SELECT id FROM child WHERE identity_number = $1', [number]))!;
    const res = await hub.gql<{ child: ChildNode }>(`{ child(id: "${id}") { ${FIELDS} } }`, {}, await hub.token());
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.child;
  };

  const externalId = async (sourceRecordId: string) =>
    (await hub.ctx.sql.one<{ external_id: string }>('SELECT external_id FROM source_record WHERE id = $1', [sourceRecordId]))!.external_id;

  it('takes adopted children out of their group at the adoption, keeping the ended memberships with their dates', async () => {
    const adopted = linkedAdoptions();
    const abandoned = adopted.filter((a) => a.adoption.groups![0]!.clause === 'b');
    const orphaned = adopted.filter((a) => a.adoption.groups![0]!.clause === 'a');
    expect(abandoned.length).toBeGreaterThanOrEqual(2);
    expect(orphaned.length).toBeGreaterThanOrEqual(1);
    const numbers = new Set(adopted.map((a) => a.adoption.identityNumber!));

    const { files } = await writeJusticeRegisterDrop({ dir: path.join(root, 'written'), seed: SEED, count: COUNT });
    // Before the adoption register arrives, the abandoned ones are among the commune's abandoned children.
    await syncFile(files.find((f) => f.kind === 'birth')!.path);
    const before = await inGroup('ABANDONED');
    expect(before.map((c) => c.identityNumber)).toEqual(expect.arrayContaining(abandoned.map((a) => a.adoption.identityNumber)));
    for (const { birth } of abandoned) {
      expect((await childWithNumber(birth.identityNumber!)).specialCircumstances).toEqual([
        expect.objectContaining({ group: 'ABANDONED', startedOn: birth.groups![0]!.since, endedOn: null, evidenceSource: 'JUSTICE_REGISTER' }),
      ]);
    }

    await syncFile(files.find((f) => f.kind === 'adoption')!.path);
    // The adopted children left; every other abandoned child is still there, in the group now.
    const after = await inGroup('ABANDONED');
    expect(after.map((c) => c.id).sort()).toEqual(before.filter((c) => !numbers.has(c.identityNumber)).map((c) => c.id).sort());
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) expect(c.specialCircumstances.some((m) => m.group === 'ABANDONED' && m.endedOn === null), c.id).toBe(true);
    expect((await inGroup('ORPHANED')).map((c) => c.identityNumber)).not.toContain(orphaned[0]!.adoption.identityNumber);

    // History, not gone: the birth register's evidence ended on the registration date of the adoption, and the
    // adoption register's own evidence says the circumstance ended then. The child lives where its family does.
    for (const { adoption, birth } of adopted) {
      const raw = adoption.raw as AdoptionRegistration;
      const registered = isoOf(raw.NGAY_DANG_KY);
      const child = await childWithNumber(adoption.identityNumber!);
      expect(child.groups).toEqual([]);
      expect(child.commune.code).toBe(raw.MA_XA_DANG_KY);
      const group = adoption.groups![0]!.clause === 'b' ? 'ABANDONED' : 'ORPHANED';
      const evidence = await Promise.all(child.specialCircumstances.map(async (m) => ({ ...m, sourceRecordId: await externalId(m.sourceRecordId) })));
      expect(evidence.sort((a, b) => a.sourceRecordId.localeCompare(b.sourceRecordId))).toEqual([
        ...(birth.groups!.length ? [{ group, startedOn: birth.groups![0]!.since, endedOn: registered, evidenceSource: 'JUSTICE_REGISTER', sourceRecordId: birth.externalId }] : []),
        { group, startedOn: null, endedOn: registered, evidenceSource: 'JUSTICE_REGISTER', sourceRecordId: adoption.externalId },
      ]);
    }
  }, 120_000);
});
