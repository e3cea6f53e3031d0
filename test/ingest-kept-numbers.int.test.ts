import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import type { SourceRecordInput } from '../src/domain/source-record-input.js';
import { createLogger } from '../src/observability/logger.js';
import type { CallResult, LookupOutcome, PopulationDbClient, VerifyOutcome } from '../src/population-db/population-db.client.js';
import { IdentityReconciler } from '../src/services/identity/identity-reconciler.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { aRecord } from './support/records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * A number a child keeps with no source giving it (the registry issued it, or verified it and its source
 * dropped it) links a record carrying it to that child, as a number a linked record carries does: the
 * issued number reaching another agency is the same child, not a second one in CONFLICT with the first.
 */
describe('ingest links by the numbers children keep', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };

  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });
  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
  });

  /** Ingests records and builds the golden records of the children they touched, as the worker would. */
  const ingestAndBuild = async (records: SourceRecordInput[]) => {
    const ingested = await ctx.ingest.ingest(records);
    await ctx.goldenRecords.recompute(ingested.childrenToRecompute);
    return ingested;
  };
  /** Reconciliation through a stand-in registry that confirms every number. */
  const verifyAll = (ids: string[], key: string) =>
    new IdentityReconciler(ctx.sql, {
      verifyCitizen: async () => ({ requestId: randomUUID(), outcome: { kind: 'MATCH', citizen: null }, latencyMs: 1 }) satisfies CallResult<VerifyOutcome>,
    } as unknown as PopulationDbClient, quota, ctx.config, createLogger({ level: 'silent' }))
      .reconcile(ids.map((childId) => ({ childId, key: `${key}/${childId}` })), { enqueuedAt: new Date() });

  /**
   * A foundling registered without a number, for whom the registry then issues `number`: the child holds it
   * ISSUED, and no source record carries it.
   */
  const issuedChild = async (person: { fullName: string; familyName: string; middleName: string; givenName: string; sex: 'MALE' | 'FEMALE'; birthDate: string }, number: string) => {
    const { familyName, middleName, givenName, ...named } = person;
    const ingested = await ingestAndBuild([aRecord({ ...named, sourceSystem: 'justice-register', identityNumber: null, groups: [{ clause: 'b' }] })]);
    const [child] = ingested.childrenToRecompute;
    const [started] = await verifyAll([child!], 'foundling');
    expect(started).toMatchObject({ kind: 'ISSUANCE_STARTED' });
    const issuanceId = (started as { issuanceId: string | null }).issuanceId;
    let issuedYet = false;
    const registry = {
      lookupCitizen: async (): Promise<CallResult<LookupOutcome>> => ({
        requestId: randomUUID(), latencyMs: 1,
        outcome: issuedYet
          ? { kind: 'FOUND', citizens: [{ number, familyName, middleName, givenName, sex: person.sex, birthDate: person.birthDate, birthDatePrecision: 'DAY' }] }
          : { kind: 'NOT_FOUND' },
      }),
    } as unknown as PopulationDbClient;
    const issuer = new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
    expect(await issuer.pollIssuance({ childId: child!, issuanceId, poll: 0 }, { key: `poll/${child}/0`, enqueuedAt: new Date() })).toMatchObject({ kind: 'WAITING' });
    issuedYet = true;
    expect(await issuer.pollIssuance({ childId: child!, issuanceId, poll: 1 }, { key: `poll/${child}/1`, enqueuedAt: new Date() })).toEqual({ kind: 'ISSUED', recorded: true });
    expect(await ctx.sql.one(`SELECT identity_number, identity_status FROM child WHERE id = $1`, [child]))
      .toEqual({ identity_number: number, identity_status: 'ISSUED' });
    expect(await ctx.sql.query(`SELECT id FROM source_record WHERE identity_number = $1`, [number])).toEqual([]);
    return child!;
  };

  const linkOf = (id: string) => ctx.sql.one(`SELECT child_id, link_rule FROM source_record WHERE id = $1`, [id]);
  /** The active children holding `number`, with their identity status. */
  const holders = (number: string) =>
    ctx.sql.query(`SELECT id, identity_status FROM child WHERE identity_number = $1 AND status = 'ACTIVE' ORDER BY id`, [number]);

  it('links a new record carrying the number the registry issued a child to that child: no new child, no CONFLICT', async () => {
    const child = await issuedChild({ fullName: 'Lê Thị Thảo', familyName: 'Lê', middleName: 'Thị', givenName: 'Thảo', sex: 'FEMALE', birthDate: '2019-06-14' }, '001319004411');

    // The school later sends the pupil with the issued number (a new record: the COPY path).
    const pupil = aRecord({ fullName: 'Lê Thị Thảo', sex: 'FEMALE', birthDate: '2019-06-14', sourceSystem: 'school', identityNumber: '001319004411' });
    const ingested = await ingestAndBuild([pupil]);
    expect(ingested).toMatchObject({ inserted: 1, childrenCreated: 0, childrenToRecompute: [child] });
    expect(await linkOf(ingested.stored[0]!.sourceRecordId)).toEqual({ child_id: child, link_rule: 'IDENTITY_NUMBER' });
    // Whatever reconciliation the rebuild asks for finds no second holder.
    await verifyAll([child], 'after-pupil');
    expect(await holders('001319004411')).toEqual([{ id: child, identity_status: expect.not.stringMatching(/^CONFLICT$/) }]);
    expect(await ctx.sql.query(`SELECT id FROM child WHERE id <> $1 AND identity_number = $2`, [child, '001319004411'])).toEqual([]);
  });

  it('moves an existing record given the issued number later to that child, and merges the child it leaves', async () => {
    const child = await issuedChild({ fullName: 'Phạm Văn Khôi', familyName: 'Phạm', middleName: 'Văn', givenName: 'Khôi', sex: 'MALE', birthDate: '2018-11-03' }, '001218004422');

    // The school sent the pupil without a number: a child of its own.
    const pupil = aRecord({ fullName: 'Phạm Văn Khôi', sex: 'MALE', birthDate: '2018-11-03', sourceSystem: 'school', identityNumber: null });
    const first = await ingestAndBuild([pupil]);
    const [pupilChild] = first.childrenToRecompute;
    expect(pupilChild).not.toBe(child);

    // Its next export carries the issued number: the record joins the child holding it.
    const renumbered = await ingestAndBuild([{ ...pupil, identityNumber: '001218004422' }]);
    expect(renumbered).toMatchObject({ updated: 1, childrenCreated: 0 });
    expect(renumbered.childrenToRecompute).toEqual([child, pupilChild].sort());
    expect(await linkOf(first.stored[0]!.sourceRecordId)).toEqual({ child_id: child, link_rule: 'IDENTITY_NUMBER' });
    expect(await ctx.sql.one(`SELECT status, merged_into_id FROM child WHERE id = $1`, [pupilChild])).toEqual({ status: 'MERGED', merged_into_id: child });
    await verifyAll([child], 'after-renumbered');
    expect(await holders('001218004422')).toEqual([{ id: child, identity_status: expect.not.stringMatching(/^CONFLICT$/) }]);
  });

  it('links a new record to the child that keeps a verified number its source dropped, followed through a merge', async () => {
    const register = aRecord({ fullName: 'Đỗ Minh Anh', sex: 'FEMALE', birthDate: '2017-08-20', sourceSystem: 'justice-register', identityNumber: '001317004433' });
    const [child] = (await ingestAndBuild([register])).childrenToRecompute;
    expect(await verifyAll([child!], 'verify')).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    // The register's next export leaves the number empty: the child keeps it, verified.
    await ingestAndBuild([{ ...register, identityNumber: null }]);
    expect(await holders('001317004433')).toEqual([{ id: child, identity_status: 'VERIFIED' }]);

    const visit = await ingestAndBuild([aRecord({ fullName: 'Đỗ Minh Anh', sex: 'FEMALE', birthDate: '2017-08-20', identityNumber: '001317004433' })]);
    expect(visit).toMatchObject({ inserted: 1, childrenCreated: 0, childrenToRecompute: [child] });
    expect(await linkOf(visit.stored[0]!.sourceRecordId)).toEqual({ child_id: child, link_rule: 'IDENTITY_NUMBER' });

    // The child that confirmed number belongs to is merged into another (a steward's decision): a record
    // with the number joins the survivor; a merged child is never linked to.
    const survivor = (await ingestAndBuild([aRecord({ fullName: 'Đỗ Minh Anh', sex: 'FEMALE', identityNumber: null, sourceSystem: 'school' })])).childrenToRecompute[0]!;
    await ctx.sql.query(`UPDATE source_record SET child_id = $2, link_rule = 'STEWARD' WHERE child_id = $1`, [child, survivor]);
    await ctx.sql.query(`UPDATE child SET status = 'MERGED', merged_into_id = $2 WHERE id = $1`, [child, survivor]);
    const later = await ingestAndBuild([aRecord({ fullName: 'Đỗ Minh Anh', sex: 'FEMALE', identityNumber: '001317004433', sourceSystem: 'school' })]);
    expect(later).toMatchObject({ inserted: 1, childrenCreated: 0, childrenToRecompute: [survivor] });
    expect(await linkOf(later.stored[0]!.sourceRecordId)).toEqual({ child_id: survivor, link_rule: 'IDENTITY_NUMBER' });
  });

  it('still starts a new child for a number only a dropped source gave (never confirmed by the registry)', async () => {
    const register = aRecord({ fullName: 'Vũ Gia Bảo', sex: 'MALE', birthDate: '2016-01-09', sourceSystem: 'justice-register', identityNumber: '001216004444' });
    const [child] = (await ingestAndBuild([register])).childrenToRecompute;
    await ingestAndBuild([{ ...register, identityNumber: null }]);
    const other = await ctx.ingest.ingest([aRecord({ fullName: 'Vũ Gia Bảo', sex: 'MALE', identityNumber: '001216004444' })]);
    expect(other.childrenCreated).toBe(1);
    expect(other.childrenToRecompute).not.toContain(child);
  });
});
