import { EntitySchema } from '@mikro-orm/core';

/** A probable duplicate pair for stewards to review (left id < right id). */
export interface MatchCandidate {
  id: string;
  leftChildId: string;
  rightChildId: string;
  score: number;
  features: Record<string, unknown>;
  matcherVersion: string;
  status: 'OPEN' | 'RESOLVED' | 'DISMISSED';
  decisionId: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export const MatchCandidateEntity = new EntitySchema<MatchCandidate>({
  name: 'MatchCandidate',
  tableName: 'match_candidate',
  properties: {
    id: { type: 'string', primary: true },
    leftChildId: { type: 'string' },
    rightChildId: { type: 'string' },
    score: { type: 'float', columnType: 'real' },
    features: { type: 'json', columnType: 'jsonb' },
    matcherVersion: { type: 'string' },
    status: { type: 'string' },
    decisionId: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    resolvedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
