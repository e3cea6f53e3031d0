import { EntitySchema } from '@mikro-orm/core';

/** An inspection of a facility, as reported by the inspecting agency. */
export interface Inspection {
  id: string;
  facilityId: string;
  sourceSystem: string;
  externalId: string;
  inspectedOn: string;
  inspectingUnit: string | null;
  findings: string | null;
  childrenPresent: number | null;
  raw: Record<string, unknown> | null;
  createdAt: Date;
}

export const InspectionEntity = new EntitySchema<Inspection>({
  name: 'Inspection',
  tableName: 'inspection',
  properties: {
    id: { type: 'string', primary: true },
    facilityId: { type: 'string' },
    sourceSystem: { type: 'string' },
    externalId: { type: 'string' },
    inspectedOn: { type: 'string', columnType: 'date' },
    inspectingUnit: { type: 'string', nullable: true },
    findings: { type: 'string', nullable: true },
    childrenPresent: { type: 'integer', nullable: true },
    raw: { type: 'json', columnType: 'jsonb', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
