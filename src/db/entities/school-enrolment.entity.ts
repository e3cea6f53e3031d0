import { EntitySchema } from '@mikro-orm/core';

/** A school enrolment as a source record states it (projection `schoolEnrolment`); belongs to that record. */
export interface SchoolEnrolment {
  id: string;
  sourceRecordId: string;
  studentCode: string;
  schoolYear: string | null;
  schoolCode: string | null;
  schoolName: string | null;
  level: string | null;
  grade: number | null;
  className: string | null;
  status: 'STUDYING' | 'DROPPED_OUT';
  inclusiveEducation: boolean | null;
  createdAt: Date;
}

export const SchoolEnrolmentEntity = new EntitySchema<SchoolEnrolment>({
  name: 'SchoolEnrolment',
  tableName: 'school_enrolment',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    studentCode: { type: 'string' },
    schoolYear: { type: 'string', nullable: true },
    schoolCode: { type: 'string', nullable: true },
    schoolName: { type: 'string', nullable: true },
    level: { type: 'string', nullable: true },
    grade: { type: 'integer', nullable: true },
    className: { type: 'string', nullable: true },
    status: { type: 'string' },
    inclusiveEducation: { type: 'boolean', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
