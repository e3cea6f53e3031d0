import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import {
  ChildEntity,
  IdentityNumberEntity,
  SourceRecordEntity,
  SpecialCircumstanceEntity,
  type Child,
  type IdentityNumber,
  type SpecialCircumstance,
} from '../../db/entities/index.js';
import { newId } from '../../db/ids.js';
import { checkIdentityNumber } from '../../domain/identity-number.js';
import { OUTBOX_TOPICS } from '../outbox/outbox.writer.js';
import { computeGolden, type GoldenValues } from './survivorship.js';

export interface RecomputeResult {
  /** Children whose golden record changed (version bumped). */
  changed: string[];
  /** Children whose golden record was already current. */
  unchanged: string[];
  /** Ids that are not active children (merged or unknown); nothing was done for them. */
  skipped: string[];
}

/** What the registry is asked about: a change to any of these means the number must be checked again. */
const identityInputs = (c: Child) => JSON.stringify([c.identityNumber, c.fullName, c.birthDate, c.sex]);

const GOLDEN_KEYS = [
  'fullName', 'familyName', 'middleName', 'givenName', 'nameFolded', 'sex', 'birthDate', 'birthDatePrecision',
  'birthDateEstimated', 'birthYear', 'communeCode', 'communeCodeSet', 'identityNumber', 'groupClauses',
] as const satisfies readonly (keyof GoldenValues & keyof Child)[];

/**
 * Recomputes children's golden records from their linked source records: golden fields with provenance,
 * the history of identity numbers, and special-circumstance memberships with their evidence. Idempotent:
 * running it twice leaves the same state and bumps the version only when something changed.
 */
export class GoldenRecordService {
  constructor(private readonly orm: MikroORM) {}

  async recompute(childIds: string[]): Promise<RecomputeResult> {
    const ids = [...new Set(childIds)].sort();
    const result: RecomputeResult = { changed: [], unchanged: [], skipped: [] };
    if (ids.length === 0) return result;
    await this.orm.em.fork().transactional(async (em) => {
      // Row locks serialise concurrent recomputes of the same child (ids sorted: no deadlocks).
      const children = await em.find(ChildEntity, { id: { $in: ids } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
      const active = children.filter((c) => c.status === 'ACTIVE');
      const activeIds = active.map((c) => c.id);
      result.skipped = ids.filter((id) => !activeIds.includes(id));
      if (active.length === 0) return;
      // Sequential: the three reads share the transaction's one connection.
      const records = await em.find(SourceRecordEntity, { childId: { $in: activeIds } });
      const numbers = await em.find(IdentityNumberEntity, { childId: { $in: activeIds } });
      const memberships = await em.find(SpecialCircumstanceEntity, { childId: { $in: activeIds } });
      const now = new Date();
      const toReconcile: string[] = [];
      for (const child of active) {
        const own = records.filter((r) => r.childId === child.id);
        const golden = computeGolden(
          own.map((r) => ({ ...r, observedAt: r.sourceUpdatedAt ?? r.lastSeenAt })),
          now,
        );
        // A number the registry issued (no source gave it) stays the child's number until a source says otherwise.
        const issued = numbers
          .filter((n) => n.childId === child.id && n.sourceRecordId === null && n.status === 'VERIFIED')
          .sort((a, b) => (b.verifiedAt?.getTime() ?? 0) - (a.verifiedAt?.getTime() ?? 0))[0];
        if (golden.identityNumber === null && issued) golden.identityNumber = issued.number;
        const before = identityInputs(child);
        const fieldsChanged = this.applyGolden(child, golden);
        // New or changed identity data is checked against the population database; a child without a
        // number gets an issuance request.
        if (identityInputs(child) !== before || child.identityStatus === 'NO_NUMBER' || child.identityStatus === 'UNVERIFIED') {
          toReconcile.push(child.id);
        }
        const numbersChanged = this.syncIdentityNumbers(em, child, own, numbers.filter((n) => n.childId === child.id), golden);
        const groupsChanged = this.syncMemberships(em, child, own, memberships.filter((m) => m.childId === child.id));
        const changed = fieldsChanged || numbersChanged || groupsChanged;
        // The version counts every change to the unified record, including its number history and groups.
        if (changed && !fieldsChanged) child.updatedAt = now;
        (changed ? result.changed : result.unchanged).push(child.id);
      }
      if (toReconcile.length) {
        // knex would expand a JS array into a list; child ids are ULIDs, safe in an array literal.
        await em.execute(`INSERT INTO outbox (topic, aggregate_id) SELECT ?, unnest(?::text[])`, [OUTBOX_TOPICS.identityReconcile, `{${toReconcile.join(',')}}`]);
      }
    });
    return result;
  }

  /** Copies golden values onto the child; returns whether anything differed. */
  private applyGolden(child: Child, golden: GoldenValues): boolean {
    let changed = false;
    const previousNumber = child.identityNumber;
    for (const key of GOLDEN_KEYS) {
      const next = golden[key];
      if (JSON.stringify(child[key]) !== JSON.stringify(next)) {
        (child as unknown as Record<string, unknown>)[key] = next;
        changed = true;
      }
    }
    // Provenance timestamps move on every run; only a change of supplying record counts as a change.
    const sources = (p: Child['provenance']) => JSON.stringify(Object.entries(p).map(([k, v]) => [k, v?.sourceRecordId]).sort());
    if (sources(child.provenance) !== sources(golden.provenance)) {
      child.provenance = golden.provenance;
      changed = true;
    }
    // Statuses reached by reconciliation (VERIFIED, MISMATCH, ISSUED, PENDING_ISSUANCE…) belong to the number
    // they were reached for; a new number starts UNVERIFIED.
    const waiting = child.identityStatus === 'NO_NUMBER' || child.identityStatus === 'PENDING_ISSUANCE';
    const status =
      golden.identityNumber === null
        ? child.identityStatus === 'PENDING_ISSUANCE' ? 'PENDING_ISSUANCE' : 'NO_NUMBER'
        : previousNumber !== golden.identityNumber || waiting
          ? 'UNVERIFIED'
          : child.identityStatus;
    if (status !== child.identityStatus) {
      child.identityStatus = status;
      changed = true;
    }
    return changed;
  }

  /** Keeps one history row per number a source gave for the child; numbers are never deleted. */
  private syncIdentityNumbers(
    em: EntityManager,
    child: Child,
    records: { id: string; identityNumber: string | null; sex: Child['sex']; birthDate: string | null; groups: { clause: string }[] }[],
    existing: IdentityNumber[],
    golden: GoldenValues,
  ): boolean {
    let changed = false;
    const known = new Set(existing.map((n) => n.number));
    const abandoned = golden.groupClauses.includes('b');
    for (const r of records) {
      if (!r.identityNumber || known.has(r.identityNumber)) continue;
      known.add(r.identityNumber);
      const check = checkIdentityNumber(r.identityNumber, {
        sex: golden.sex ?? undefined,
        birthYear: golden.birthYear ?? undefined,
        abandoned,
      });
      em.create(IdentityNumberEntity, {
        id: newId('identityNumber'),
        childId: child.id,
        number: r.identityNumber,
        status: 'GIVEN',
        sourceRecordId: r.id,
        structuralFindings: check.findings,
        firstSeenAt: new Date(),
        verifiedAt: null,
        supersededAt: null,
      });
      changed = true;
    }
    return changed;
  }

  /** Memberships mirror the group evidence of linked records: one row per (clause, sub-type, record). */
  private syncMemberships(
    em: EntityManager,
    child: Child,
    records: { id: string; sourceSystem: string; groups: { clause: SpecialCircumstance['clause']; subType?: string | null; since?: string | null }[] }[],
    existing: SpecialCircumstance[],
  ): boolean {
    const key = (clause: string, subType: string | null | undefined, recordId: string | null) => `${clause}|${subType ?? ''}|${recordId ?? ''}`;
    const wanted = new Map<string, { clause: SpecialCircumstance['clause']; subType: string | null; since: string | null; recordId: string; sourceSystem: string }>();
    for (const r of records) {
      for (const g of r.groups ?? []) {
        wanted.set(key(g.clause, g.subType, r.id), { clause: g.clause, subType: g.subType ?? null, since: g.since ?? null, recordId: r.id, sourceSystem: r.sourceSystem });
      }
    }
    let changed = false;
    const have = new Set<string>();
    for (const m of existing) {
      const k = key(m.clause, m.subType, m.sourceRecordId);
      have.add(k);
      // Evidence withdrawn by its source (or the record moved to another child) is removed; the audit
      // trail of what was shown keeps the history.
      if (m.sourceRecordId && !wanted.has(k)) {
        em.remove(m);
        changed = true;
      }
    }
    for (const [k, w] of wanted) {
      if (have.has(k)) continue;
      em.create(SpecialCircumstanceEntity, {
        id: newId('specialCircumstance'),
        childId: child.id,
        clause: w.clause,
        subType: w.subType,
        sourceRecordId: w.recordId,
        evidence: { sourceSystem: w.sourceSystem },
        startedOn: w.since,
        endedOn: null,
        recordedAt: new Date(),
      });
      changed = true;
    }
    return changed;
  }
}
