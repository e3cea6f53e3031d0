import { EntitySchema } from '@mikro-orm/core';

/** An inspection of a facility, as reported by the inspecting agency; one per (facility code, report number). */
export interface Inspection {
  id: string;
  facilityCode: string;
  reportNumber: string;
  inspectedOn: string;
  /** MONTH or YEAR when `inspectedOn` is known to that only; null: the day. */
  inspectedOnPrecision: string | null;
  inspectingUnit: string | null;
  findings: string | null;
  childrenPresent: number | null;
  /** The facility record the inspection came from. */
  /** The facility's facts as the record giving this inspection stated them (name, type, communeCode, licenceStatus, licenceNumber, capacity). */
  facilityFacts: Record<string, unknown> | null;
  sourceSystem: string;
  externalId: string;
  createdAt: Date;
  updatedAt: Date;
}

export const InspectionEntity = new EntitySchema<Inspection>({
  name: 'Inspection',
  tableName: 'inspection',
  properties: {
    id: { type: 'string', primary: true },
    facilityCode: { type: 'string' },
    reportNumber: { type: 'string' },
    inspectedOn: { type: 'string', columnType: 'date' },
    inspectedOnPrecision: { type: 'string', nullable: true },
    inspectingUnit: { type: 'string', nullable: true },
    findings: { type: 'string', nullable: true },
    childrenPresent: { type: 'integer', nullable: true },
    facilityFacts: { type: 'json', columnType: 'jsonb', nullable: true },
    sourceSystem: { type: 'string' },
    externalId: { type: 'string' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
  uniques: [{ properties: ['facilityCode', 'reportNumber'] }],
});
