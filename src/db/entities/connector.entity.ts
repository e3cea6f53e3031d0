import { EntitySchema } from '@mikro-orm/core';

/** A configured connector to one source system (definition validated by the connectors issue). */
export interface Connector {
  id: string;
  name: string;
  kind: 'http' | 'file';
  sourceSystem: string;
  definition: Record<string, unknown>;
  definitionHash: string;
  enabled: boolean;
  schedule: string | null;
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
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
