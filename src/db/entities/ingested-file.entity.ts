import { EntitySchema } from '@mikro-orm/core';

/** A file a file connector has ingested (same checksum is not ingested again). */
export interface IngestedFile {
  id: string;
  connectorId: string;
  checksum: string;
  fileName: string;
  sizeBytes: string;
  connectorRunId: string | null;
  ingestedAt: Date;
}

export const IngestedFileEntity = new EntitySchema<IngestedFile>({
  name: 'IngestedFile',
  tableName: 'ingested_file',
  properties: {
    id: { type: 'string', primary: true },
    connectorId: { type: 'string' },
    checksum: { type: 'string' },
    fileName: { type: 'string' },
    sizeBytes: { type: 'bigint', columnType: 'bigint' },
    connectorRunId: { type: 'string', nullable: true },
    ingestedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
