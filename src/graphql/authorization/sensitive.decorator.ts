import { Extensions } from 'type-graphql';
import type { SensitivityClass } from '../../auth/sensitivity.js';

/** Declares a field's sensitivity class; the field is denied to callers whose roles do not grant it. */
export function Sensitive(cls: SensitivityClass): MethodDecorator & PropertyDecorator {
  return Extensions({ sensitivity: cls }) as MethodDecorator & PropertyDecorator;
}

/**
 * Declares a field whose classes depend on the record it is read from (`cls` as declared, and the classes
 * `more(record)` adds): the field is released only to callers whose roles grant every one of them. For a
 * value whose meaning depends on its source: a source record's carer is an adoptive parent in the adoption
 * register and a care facility in an inspection report.
 */
export function SensitiveBy(cls: SensitivityClass, more: (record: Record<string, unknown>) => readonly SensitivityClass[]): MethodDecorator & PropertyDecorator {
  return Extensions({ sensitivity: cls, sensitivityMore: more }) as MethodDecorator & PropertyDecorator;
}

/**
 * Marks an object type as holding a child's personal data. Every field must then declare a class
 * (checked when the schema is built), and each read is recorded for the audit against the child whose id
 * is in `childIdField` of the resolved object.
 */
export function PersonalData(opts: { childIdField: string }): ClassDecorator {
  return Extensions({ personalData: opts }) as ClassDecorator;
}
