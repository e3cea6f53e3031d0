/**
 * The sensitivity class of a quarantined record's reason, from the field path it names. A reason holds no
 * value, but which fields a record has reasons about can tell what the record holds: a projection or a group
 * is mapped only under its `when`, so a reason about `projections.disability[0].type` exists only for a child
 * the source marks disabled, and one about `groups[0].until` on the adoption sheet only for a child found
 * abandoned (QA). So a reason is of the class of the field it names, as the GraphQL types declare that field
 * (`SourceRecord`, `SpecialCircumstance`, the projections' types: `reason-classes.test.ts` holds this table to
 * those declarations), and a caller whose roles do not grant that class is shown it withheld, unless every
 * record has such fields ({@link TOLD_BY_EVERY_RECORD}).
 */
import { ALL_SENSITIVITY_CLASSES, SensitivityClass } from './sensitivity.js';
import type { SourceRecordInput } from '../domain/source-record-input.js';
import { PROJECTION_KINDS, type ProjectionKind, type Projections } from '../connectors/types.js';

const C = SensitivityClass;
type Classes = readonly SensitivityClass[];

/** The field a withheld reason shows (`field` is non-null in the schema: a marker, as `(record)` and `(row)` are). */
export const WITHHELD_FIELD = '(withheld)';
/** The code a withheld reason shows. */
export const WITHHELD_CODE = 'WITHHELD';
/**
 * What a withheld reason says: neither the field, nor its class (HEALTH alone would tell a disability), nor how
 * many reasons it stands for.
 */
export const WITHHELD_MESSAGE =
  'the record\'s reasons are about values of a class your roles do not grant (which, how many and of which class is not told); a user whose roles grant the class sees them';

/**
 * Reasons about the record as a whole or its key, read for every record whatever it holds: `(record)`,
 * `(row)` (what a reader could not read), `(item)`, `raw` (the payload as a whole) and `externalId` (shown
 * itself on every rejected record). They have no class.
 */
const RECORD_LEVEL_PATHS = ['(record)', '(row)', '(item)', 'raw', 'externalId'] as const;

type RecordFieldName = Exclude<keyof SourceRecordInput, 'raw' | 'externalId' | 'groups'>;

/**
 * A child record's fields (a mapping's `fields`, the store's check of a record), as `SourceRecord` declares
 * them. A field whose classes depend on the record (`SensitiveBy`) has every class it can have: the record is
 * invalid, so what it would be cannot be told (a facility inspection's carer is PROTECTION_GROUP too).
 */
export const RECORD_FIELD_CLASSES: Record<RecordFieldName, Classes> = {
  sourceSystem: [C.PROVENANCE],
  fullName: [C.BASIC],
  familyName: [C.BASIC],
  middleName: [C.BASIC],
  givenName: [C.BASIC],
  sex: [C.BASIC],
  birthDate: [C.BASIC],
  birthDatePrecision: [C.BASIC],
  birthDateEstimated: [C.PROTECTION_GROUP],
  communeCode: [C.BASIC],
  communeCodeSet: [C.BASIC],
  fatherName: [C.ADOPTION],
  motherName: [C.ADOPTION],
  carerName: [C.ADOPTION, C.PROTECTION_GROUP],
  identityNumber: [C.IDENTITY],
  sourceUpdatedAt: [C.PROVENANCE],
};

/**
 * The parts of a group's evidence (`groups[i].…` from the mapper, `groups.i.…` from the store), as
 * `SpecialCircumstance` declares them (`since` is `startedOn`, `until` `endedOn`); `when` and the group as a
 * whole are the group itself. A disability's sub-type is its kind: HEALTH too.
 */
export const GROUP_PART_CLASSES = {
  clause: [C.PROTECTION_GROUP],
  subType: [C.PROTECTION_GROUP, C.HEALTH],
  since: [C.PROTECTION_GROUP],
  until: [C.PROTECTION_GROUP],
  when: [C.PROTECTION_GROUP],
} as const satisfies Record<string, Classes>;

type ProjectionFieldClasses = { [K in ProjectionKind]: Record<keyof NonNullable<Projections[K]>[number], Classes> };

/**
 * Each projection's fields (`projections.<kind>[i].<field>` from the mapper, `<kind>[i].<field>` from the
 * store), as the projection's GraphQL type declares them. Facilities and inspections are not a child's
 * personal data: their types declare no class, and `facility`/`facilities` need BASIC.
 */
export const PROJECTION_FIELD_CLASSES: ProjectionFieldClasses = {
  healthScreening: {
    screenedOn: [C.HEALTH], screenedOnPrecision: [C.HEALTH], kind: [C.HEALTH], code: [C.HEALTH], result: [C.HEALTH], interpretation: [C.HEALTH], performer: [C.HEALTH],
  },
  vaccination: {
    vaccineCode: [C.HEALTH], vaccineName: [C.HEALTH], occurredOn: [C.HEALTH], occurredOnPrecision: [C.HEALTH], doseNumber: [C.HEALTH], status: [C.HEALTH], performer: [C.HEALTH],
  },
  disability: { type: [C.HEALTH], severity: [C.HEALTH], assessedOn: [C.HEALTH], assessedOnPrecision: [C.HEALTH], inclusiveEducation: [C.HEALTH] },
  schoolEnrolment: {
    studentCode: [C.BASIC], schoolYear: [C.BASIC], schoolCode: [C.BASIC], schoolName: [C.BASIC], level: [C.BASIC], grade: [C.BASIC],
    className: [C.BASIC], status: [C.BASIC, C.PROTECTION_GROUP], inclusiveEducation: [C.HEALTH],
  },
  birthRegistration: {
    registrationNumber: [C.BASIC], book: [C.BASIC], registeredOn: [C.BASIC], registeredOnPrecision: [C.BASIC], registeredAt: [C.BASIC], communeCode: [C.BASIC],
    fatherName: [C.ADOPTION], motherName: [C.ADOPTION], declarantName: [C.ADOPTION], declarantRelation: [C.ADOPTION], note: [C.PROTECTION_GROUP],
  },
  adoptionRegistration: {
    registrationNumber: [C.ADOPTION], book: [C.ADOPTION], registeredOn: [C.ADOPTION], registeredOnPrecision: [C.ADOPTION], registeredAt: [C.ADOPTION], certificateNumber: [C.ADOPTION],
    adoptiveFatherName: [C.ADOPTION], adoptiveMotherName: [C.ADOPTION], givenBy: [C.ADOPTION], priorCircumstance: [C.ADOPTION], childConsent: [C.ADOPTION],
  },
  placement: {
    facilityCode: [C.PROTECTION_GROUP], startedOn: [C.PROTECTION_GROUP], startedOnPrecision: [C.PROTECTION_GROUP], reason: [C.PROTECTION_GROUP], seenOn: [C.PROTECTION_GROUP], seenOnPrecision: [C.PROTECTION_GROUP],
    inspectionReportNumber: [C.PROTECTION_GROUP],
  },
  facility: {
    code: [C.BASIC], name: [C.BASIC], type: [C.BASIC], communeCode: [C.BASIC], licenceStatus: [C.BASIC], licenceNumber: [C.BASIC], capacity: [C.BASIC],
  },
  inspection: {
    facilityCode: [C.BASIC], reportNumber: [C.BASIC], inspectedOn: [C.BASIC], inspectedOnPrecision: [C.BASIC], inspectingUnit: [C.BASIC], findings: [C.BASIC], childrenPresent: [C.BASIC],
  },
};

/** A path pattern (a regular expression both JavaScript and PostgreSQL read alike) and its classes. */
interface PathRule {
  pattern: string;
  classes: Classes;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const INDEX = '\\[[0-9]+\\]';
const union = (lists: Iterable<Classes>): Classes => ALL_SENSITIVITY_CLASSES.filter((c) => [...lists].some((l) => l.includes(c)));

/**
 * Every path a reason can name, each matched by exactly one rule (no two rules match one path, so a path's
 * class is the same whichever rule the database or this module tries first).
 */
const RULES: readonly PathRule[] = [
  { pattern: RECORD_LEVEL_PATHS.map(escape).join('|'), classes: [] },
  ...Object.entries(RECORD_FIELD_CLASSES).map(([name, classes]) => ({ pattern: escape(name), classes })),
  { pattern: `groups(${INDEX}|\\.[0-9]+)?`, classes: [C.PROTECTION_GROUP] },
  ...Object.entries(GROUP_PART_CLASSES).map(([part, classes]) => ({ pattern: `groups(${INDEX}|\\.[0-9]+)\\.${escape(part)}`, classes })),
  ...PROJECTION_KINDS.flatMap((kind) => {
    const fields = PROJECTION_FIELD_CLASSES[kind] as Record<string, Classes>;
    const prefix = `(projections\\.)?${escape(kind)}`;
    return [
      // The projection as a whole (not a list, not an object) and its `when`: any of its fields' classes.
      { pattern: `${prefix}(${INDEX}(\\.when)?)?`, classes: union(Object.values(fields)) },
      ...Object.entries(fields).map(([name, classes]) => ({ pattern: `${prefix}${INDEX}\\.${escape(name)}`, classes })),
    ];
  }),
];
const COMPILED = RULES.map((r) => ({ re: new RegExp(`^(${r.pattern})$`), classes: r.classes }));

/**
 * The classes a reason about `field` is of: empty for the record as a whole, every class for a path this module
 * does not know (deny by default: a new kind of path is withheld until it is given its class here).
 */
export function reasonClasses(field: string): Classes {
  return COMPILED.find((r) => r.re.test(field))?.classes ?? ALL_SENSITIVITY_CLASSES;
}

/**
 * Classes a reason about a field of is shown whatever the caller's roles: every child record has its name, sex,
 * birth date, commune, number and provenance, whatever it holds, so a reason about one (a birth date that is no
 * date) tells nothing but that the source wrote it wrong, which the engineer must see to fix the mapping. Health,
 * adoption, religion or ethnicity and the groups are what a record holds only when they apply: a reason about
 * them tells that they do, and is withheld from callers not granted them.
 */
const TOLD_BY_EVERY_RECORD: Classes = [C.BASIC, C.IDENTITY, C.PROVENANCE];

const grants = (granted: ReadonlySet<SensitivityClass>, classes: Classes): boolean =>
  classes.every((c) => granted.has(c) || TOLD_BY_EVERY_RECORD.includes(c));

/** The classes of a reason about `field` that `granted` lacks (empty: the caller may see the reason). */
export function missingClasses(field: string, granted: ReadonlySet<SensitivityClass>): SensitivityClass[] {
  return reasonClasses(field).filter((c) => !granted.has(c) && !TOLD_BY_EVERY_RECORD.includes(c));
}

/**
 * The fields of the reasons a caller granted `granted` may see, as one anchored regular expression for
 * PostgreSQL (`~`); null when it may see every reason (every class granted). It matches exactly the fields
 * {@link reasonClasses} gives classes `granted` holds.
 */
export function visibleFieldsPattern(granted: ReadonlySet<SensitivityClass>): string | null {
  if (grants(granted, ALL_SENSITIVITY_CLASSES)) return null;
  return `^(${RULES.filter((r) => grants(granted, r.classes)).map((r) => r.pattern).join('|')})$`;
}

export interface Reason {
  field: string;
  code: string;
  message: string;
}

/**
 * The reasons as a caller granted `granted` sees them: those it may see as they are, in their order; those of a
 * class it lacks are left out, with no sign, so a pupil whose birth date is no date reads the same whether or not
 * a disability's reason stands beside it (a marker, or its place or count, told which records had one). A record
 * with no reason left to show shows one withheld reason ({@link WITHHELD_FIELD}, {@link WITHHELD_CODE}), not an
 * empty list: that it was quarantined is known anyway, and only for a reason not shown (the residual the docs name).
 */
export function reasonsAsSeen<R extends Reason>(reasons: readonly R[], granted: ReadonlySet<SensitivityClass>): Reason[] {
  if (grants(granted, ALL_SENSITIVITY_CLASSES)) return [...reasons];
  const shown: Reason[] = reasons.filter((r) => grants(granted, reasonClasses(r.field)));
  return shown.length || reasons.length === 0 ? shown : [{ field: WITHHELD_FIELD, code: WITHHELD_CODE, message: WITHHELD_MESSAGE }];
}
