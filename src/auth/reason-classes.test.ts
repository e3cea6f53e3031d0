import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { RECORD_FIELD_NAMES, PROJECTION_FIELDS } from '../connectors/mapping/field-targets.js';
import { recordMappingsSchema } from '../connectors/mapping/mapping.schema.js';
import { compileRecordMapper } from '../connectors/mapping/record-mapper.js';
import { PROJECTION_KINDS, type ProjectionKind } from '../connectors/types.js';
import { SOURCE_SYSTEMS } from '../domain/source-record-input.js';
import { buildHubSchema } from '../graphql/schema.js';
import { SpecialCircumstanceGroupEnum } from '../graphql/types/enums.js';
import { sourceRecordInputSchema } from '../services/ingest/source-record.validator.js';
import {
  GROUP_PART_CLASSES, PROJECTION_FIELD_CLASSES, RECORD_FIELD_CLASSES, WITHHELD_CODE, WITHHELD_FIELD, missingClasses, reasonClasses, reasonsAsSeen,
  visibleFieldsPattern,
} from './reason-classes.js';
import { ALL_SENSITIVITY_CLASSES, SensitivityClass as C, type SensitivityClass } from './sensitivity.js';

/**
 * The records a `SensitiveBy` field's extra classes are asked about: every group, every source system (on the
 * record and as a fact's source), and school levels below and past universal education. A field's classes are
 * the declared one with every class any of them adds (a reason's record is invalid: which it is cannot be told).
 */
const PROBES: Array<Record<string, unknown>> = [
  {},
  ...Object.values(SpecialCircumstanceGroupEnum).map((group) => ({ group })),
  ...SOURCE_SYSTEMS.flatMap((sourceSystem) => [{ sourceSystem }, { source: { sourceSystem } }]),
  { level: 'Tiểu học', grade: 3 }, { level: 'THPT', grade: 11 }, { level: 'Mầm non', grade: null },
];

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildHubSchema();
});

/** The classes the schema declares for `type.field`, or undefined when it declares none. */
function declared(type: string, field: string): SensitivityClass[] | undefined {
  const t = schema.getType(type);
  if (!(t instanceof GraphQLObjectType)) throw new Error(`no object type ${type}`);
  const f = t.getFields()[field];
  if (!f) throw new Error(`${type} has no field ${field}`);
  const cls = f.extensions?.sensitivity as SensitivityClass | undefined;
  if (!cls) return undefined;
  const more = f.extensions?.sensitivityMore as ((r: Record<string, unknown>) => readonly SensitivityClass[]) | undefined;
  const all = new Set<SensitivityClass>([cls, ...PROBES.flatMap((p) => more?.(p) ?? [])]);
  return ALL_SENSITIVITY_CLASSES.filter((c) => all.has(c));
}
const sorted = (classes: readonly SensitivityClass[]) => ALL_SENSITIVITY_CLASSES.filter((c) => classes.includes(c));

/** The GraphQL type each projection kind is read as. */
const PROJECTION_TYPES: Record<ProjectionKind, string> = {
  healthScreening: 'HealthScreening', vaccination: 'Vaccination', disability: 'Disability', schoolEnrolment: 'SchoolEnrolment',
  birthRegistration: 'BirthRegistration', adoptionRegistration: 'AdoptionRegistration', placement: 'Placement', facility: 'Facility',
  inspection: 'Inspection',
};

describe('the classes of reasons, as the GraphQL types declare the fields they name', () => {
  it('gives a record field the class SourceRecord declares for it, for every field a mapping or the store names', () => {
    const named = new Set<string>([...RECORD_FIELD_NAMES, ...Object.keys(sourceRecordInputSchema.shape)]);
    for (const name of ['raw', 'externalId', 'groups']) named.delete(name);
    expect(Object.keys(RECORD_FIELD_CLASSES).sort()).toEqual([...named].sort());
    for (const [name, classes] of Object.entries(RECORD_FIELD_CLASSES)) {
      expect(sorted(classes), name).toEqual(declared('SourceRecord', name));
      expect(sorted(reasonClasses(name)), name).toEqual(declared('SourceRecord', name));
    }
  });

  it('gives a group\'s parts the classes SpecialCircumstance declares (a disability\'s sub-type is HEALTH too)', () => {
    const as = { clause: 'clause', subType: 'subType', since: 'startedOn', until: 'endedOn', when: 'group' } as const;
    expect(Object.keys(GROUP_PART_CLASSES).sort()).toEqual(Object.keys(as).sort());
    for (const [part, field] of Object.entries(as)) {
      expect(sorted(GROUP_PART_CLASSES[part as keyof typeof as]), part).toEqual(declared('SpecialCircumstance', field));
    }
    expect(sorted(reasonClasses('groups[0].subType'))).toEqual(sorted([C.PROTECTION_GROUP, C.HEALTH]));
  });

  it('gives every mapped projection field the class its GraphQL type declares; facilities and inspections, no personal data, BASIC', () => {
    for (const kind of PROJECTION_KINDS) {
      const table = PROJECTION_FIELD_CLASSES[kind] as Record<string, readonly SensitivityClass[]>;
      // Every field a mapping gives, and each date's precision, classed as its date is.
      const dates = Object.entries(PROJECTION_FIELDS[kind]).filter(([, t]) => t.parse === 'date').map(([f]) => `${f}Precision`);
      expect(Object.keys(table).sort(), kind).toEqual([...Object.keys(PROJECTION_FIELDS[kind]), ...dates].sort());
      for (const p of dates) expect(table[p], `${kind}.${p}`).toEqual(table[p.slice(0, -'Precision'.length)]);
      const type = schema.getType(PROJECTION_TYPES[kind]) as GraphQLObjectType;
      if (kind === 'facility' || kind === 'inspection') {
        // Not @PersonalData: their fields declare no class, and Query.facility / facilities need BASIC.
        expect(type.extensions?.personalData, kind).toBeUndefined();
        for (const f of Object.values(type.getFields())) expect(f.extensions?.sensitivity, `${kind}.${f.name}`).toBeUndefined();
        for (const [name, classes] of Object.entries(table)) expect(classes, `${kind}.${name}`).toEqual([C.BASIC]);
        continue;
      }
      for (const [name, classes] of Object.entries(table)) {
        expect(sorted(classes), `${kind}.${name}`).toEqual(declared(PROJECTION_TYPES[kind], name));
        for (const path of [`projections.${kind}[0].${name}`, `${kind}[12].${name}`]) expect(sorted(reasonClasses(path)), path).toEqual(sorted(classes));
      }
    }
  });

  it('classes the paths mappers and the store write, the record as a whole none, and an unknown path every class', () => {
    const G = C.PROTECTION_GROUP;
    const cases: Array<[string, SensitivityClass[]]> = [
      ['(record)', []], ['(row)', []], ['(item)', []], ['raw', []], ['externalId', []],
      ['birthDate', [C.BASIC]], ['identityNumber', [C.IDENTITY]], ['carerName', [C.ADOPTION, G]], ['sourceUpdatedAt', [C.PROVENANCE]],
      ['groups', [G]], ['groups[1]', [G]], ['groups.0', [G]], ['groups[0].until', [G]], ['groups.0.until', [G]], ['groups[0].when', [G]],
      ['groups.3.subType', [C.HEALTH, G]],
      ['projections.disability[0].type', [C.HEALTH]], ['disability', [C.HEALTH]], ['disability[2]', [C.HEALTH]],
      ['projections.disability[0].when', [C.HEALTH]], ['schoolEnrolment[0].status', [C.BASIC, G]],
      ['projections.schoolEnrolment[0].when', [C.BASIC, C.HEALTH, G]], ['projections.adoptionRegistration[0].registeredOn', [C.ADOPTION]],
      ['placement[0].reason', [G]],
    ];
    for (const [path, classes] of cases) expect(sorted(reasonClasses(path)), path).toEqual(sorted(classes));
    for (const unknown of ['when', '', 'foo', 'projections.disability[0].bogus', 'groups[0].subtype', 'birthdate', 'projections.disability.0.type', 'xgroups', 'birthDate.x']) {
      expect(reasonClasses(unknown), unknown).toEqual(ALL_SENSITIVITY_CLASSES);
    }
  });

  it('classes every reason the school mapping gives the QA record (a path the mapper writes that this module does not know would be withheld from all)', () => {
    const definition = YAML.parse(readFileSync(new URL('../../connectors/school/connector.yaml', import.meta.url), 'utf8')) as { records: unknown };
    const map = compileRecordMapper('school', recordMappingsSchema.parse(definition.records));
    const mapped = map({ data: { ma_dinh_danh_hoc_sinh: '0100000001', gioi_tinh: 'Nam', ngay_sinh: '31/02/2015', khuyet_tat: true, dang_khuyet_tat: { loai: 'x' }, trang_thai: 'Đang học' } });
    expect(mapped.ok).toBe(false);
    const problems = (mapped as { problems: Array<{ field: string; code: string }> }).problems;
    expect(problems.map((p) => p.field)).toEqual(['birthDate', 'groups[0].subType', 'projections.disability[0].type']);
    expect(problems.map((p) => sorted(reasonClasses(p.field)))).toEqual([[C.BASIC], [C.HEALTH, C.PROTECTION_GROUP], [C.HEALTH]]);
  });
});

describe('reasons as a caller sees them', () => {
  const reasons = [
    { field: '(row)', code: 'MALFORMED_ROW', message: 'a' },
    { field: 'birthDate', code: 'INVALID_DATE', message: 'b' },
    { field: 'groups[0].until', code: 'INVALID_DATE', message: 'c' },
    { field: 'projections.adoptionRegistration[0].registeredOn', code: 'INVALID_DATE', message: 'd' },
  ];
  const withheld = { field: WITHHELD_FIELD, code: WITHHELD_CODE, message: expect.stringContaining('your roles do not grant') };

  it('shows every reason as it is to a caller granted every class', () => {
    expect(reasonsAsSeen(reasons, new Set(ALL_SENSITIVITY_CLASSES))).toEqual(reasons);
  });

  it('shows those the caller may see, then one withheld reason for all the others, however many', () => {
    // A birth date is every record's: a reason about it is shown whatever the roles; the others leave no sign.
    expect(reasonsAsSeen(reasons, new Set())).toEqual([reasons[0], reasons[1]]);
    expect(reasonsAsSeen(reasons, new Set([C.BASIC]))).toEqual([reasons[0], reasons[1]]);
    expect(reasonsAsSeen(reasons.slice(0, 3), new Set())).toEqual(reasonsAsSeen(reasons.slice(0, 2), new Set()));
    expect(reasonsAsSeen(reasons, new Set([C.ADOPTION]))).toEqual([reasons[0], reasons[1], reasons[3]]);
    // Nothing left to show: one withheld reason, whatever stood behind it.
    expect(reasonsAsSeen(reasons.slice(2), new Set())).toEqual([withheld]);
    expect(reasonsAsSeen(reasons.slice(3), new Set())).toEqual([withheld]);
    // The message names no class.
    const [shown] = reasonsAsSeen(reasons.slice(2), new Set());
    for (const cls of ALL_SENSITIVITY_CLASSES) expect(shown!.message).not.toContain(cls);
  });

  it('matches in the database pattern exactly the fields shown, whatever classes are granted', () => {
    const paths = [
      '(record)', '(row)', 'raw', 'externalId', 'when', 'foo', '', 'groups', 'groups.0.subType', 'groups[0].until', 'groups[0].when',
      ...Object.keys(RECORD_FIELD_CLASSES), 'birthDatex', 'xbirthDate', 'birthDate|fullName',
      ...PROJECTION_KINDS.flatMap((k) => [k, `${k}[0]`, `projections.${k}[3].when`, `projections.${k}`, `projections.${k}[0].nope`,
        ...Object.keys(PROJECTION_FIELDS[k]).flatMap((f) => [`projections.${k}[0].${f}`, `${k}[10].${f}`, `projections.${k}.0.${f}`])]),
    ];
    for (let mask = 0; mask < 1 << ALL_SENSITIVITY_CLASSES.length; mask++) {
      const granted = new Set(ALL_SENSITIVITY_CLASSES.filter((_, i) => mask & (1 << i)));
      const pattern = visibleFieldsPattern(granted);
      if (pattern === null) {
        // Null: every reason is shown (every class granted whose reasons are withheld).
        for (const path of paths) expect(missingClasses(path, granted), `${path} with ${[...granted].join(',')}`).toEqual([]);
        continue;
      }
      const re = new RegExp(pattern!);
      for (const path of paths) expect(re.test(path), `${path} with ${[...granted].join(',')}`).toBe(missingClasses(path, granted).length === 0);
    }
  });
});
