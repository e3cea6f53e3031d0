import DataLoader from 'dataloader';
import type { ChildReadRepository, ChildRow } from '../db/repositories/child-read.repository.js';
import type { QueryCounter, Row } from '../db/sql.js';
import { groupBy } from '../util/group-by.js';

function byKey<T extends Row>(rows: T[], key: keyof T): Map<unknown, T> {
  return new Map(rows.map((r) => [r[key], r]));
}


/** Per-request batching: one SQL statement per relation and nesting level, whatever the page size. */
export function createLoaders(repo: ChildReadRepository, counter: QueryCounter) {
  const one = <T extends Row>(fetch: (ids: readonly string[]) => Promise<T[]>, key: keyof T) =>
    new DataLoader<string, T | null>(async (ids) => {
      const m = byKey(await fetch(ids), key);
      return ids.map((id) => m.get(id) ?? null);
    });
  const many = <T extends Row>(fetch: (ids: readonly string[]) => Promise<T[]>, key: keyof T) =>
    new DataLoader<string, T[]>(async (ids) => {
      const m = groupBy<T, unknown>(await fetch(ids), (r) => r[key]);
      return ids.map((id) => m.get(id) ?? []);
    });
  return {
    child: one((ids) => repo.childrenByIds(ids, counter) as Promise<(ChildRow & Row)[]>, 'id'),
    sourceRecord: one((ids) => repo.sourceRecordsByIds(ids, counter), 'id'),
    sourceRecordsByChild: many((ids) => repo.sourceRecordsByChildIds(ids, counter), 'childId'),
    openRejectBySourceRecord: one((ids) => repo.openRejectsBySourceRecordIds(ids, counter), 'recordId'),
    identityNumbersByChild: many((ids) => repo.identityNumbersByChildIds(ids, counter), 'childId'),
    issuanceByChild: one((ids) => repo.issuanceByChildIds(ids, counter) as unknown as Promise<Row[]>, 'childId'),
    specialCircumstancesByChild: many((ids) => repo.specialCircumstancesByChildIds(ids, counter), 'childId'),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
