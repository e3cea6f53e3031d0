import { EntitySchema } from '@mikro-orm/core';

/** A data steward's decision; decisions are facts that always win over the matcher. */
export interface StewardDecision {
  id: string;
  kind: 'MERGE' | 'SPLIT' | 'NOT_DUPLICATE';
  childIds: string[];
  sourceRecordIds: string[];
  survivorChildId: string | null;
  reason: string | null;
  decidedBy: string;
  officerId: string | null;
  decidedAt: Date;
  supersedesId: string | null;
}

export const StewardDecisionEntity = new EntitySchema<StewardDecision>({
  name: 'StewardDecision',
  tableName: 'steward_decision',
  properties: {
    id: { type: 'string', primary: true },
    kind: { type: 'string' },
    childIds: { type: 'string[]', columnType: 'text[]' },
    sourceRecordIds: { type: 'string[]', columnType: 'text[]' },
    survivorChildId: { type: 'string', nullable: true },
    reason: { type: 'string', nullable: true },
    decidedBy: { type: 'string' },
    officerId: { type: 'string', nullable: true },
    decidedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    supersedesId: { type: 'string', nullable: true },
  },
});
