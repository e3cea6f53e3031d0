import { EntitySchema } from '@mikro-orm/core';

/** A configured connector to one source system (its definition lives in `connectors/<name>/connector.yaml`). */
export interface Connector {
  id: string;
  name: string;
  kind: 'http' | 'file';
  sourceSystem: string;
  definition: Record<string, unknown>;
  definitionHash: string;
  enabled: boolean;
  schedule: string | null;
  title: string | null;
  /** The reader's position after the last stored page (committed with it), or what a finished run left. */
  state: Record<string, unknown> | null;
  stateUpdatedAt: Date | null;
  /** The mapping its stored records were read with (a finished read of the whole source): another one reads everything again. */
  recordsMappingHash: string | null;
  /** Per record type storing source records, a hash of the id expressions its stored records were stored under (see record-ids.ts); null: not known. */
  recordIdHashes: Record<string, string> | null;
  /** The mapping every page behind `state` (a read in progress) was read with; null when not known or mixed. */
  stateReadWith: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ConnectorEntity = new EntitySchema<Connector>({
  name: 'Connector',
  tableName: 'connector',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    kind: { type: 'string' },
    sourceSystem: { type: 'string' },
    definition: { type: 'json', columnType: 'jsonb' },
    definitionHash: { type: 'string' },
    enabled: { type: 'boolean' },
    schedule: { type: 'string', nullable: true },
    title: { type: 'string', nullable: true },
    state: { type: 'json', columnType: 'jsonb', nullable: true },
    stateUpdatedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    recordsMappingHash: { type: 'string', nullable: true },
    stateReadWith: { type: 'string', nullable: true },
    recordIdHashes: { type: 'json', columnType: 'jsonb', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
