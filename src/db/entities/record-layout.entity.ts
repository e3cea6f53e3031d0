import { EntitySchema } from '@mikro-orm/core';

/** How source records stored as text are read (see `RecordLayout`): one per CSV header row, delimiter and quote. */
export interface RecordLayoutRow {
  id: string;
  format: 'csv';
  delimiter: string;
  quote: string;
  header: string;
  columns: string[];
  firstSeenAt: Date;
}

export const RecordLayoutEntity = new EntitySchema<RecordLayoutRow>({
  name: 'RecordLayout',
  tableName: 'record_layout',
  properties: {
    id: { type: 'string', primary: true },
    format: { type: 'string' },
    delimiter: { type: 'string' },
    quote: { type: 'string' },
    header: { type: 'string' },
    columns: { type: 'json', columnType: 'jsonb' },
    firstSeenAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
