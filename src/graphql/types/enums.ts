import { registerEnumType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import type { GroupClause } from '../../domain/source-record-input.js';

export enum SexEnum {
  MALE = 'MALE',
  FEMALE = 'FEMALE',
}
registerEnumType(SexEnum, { name: 'Sex', description: 'Sex as recorded (giới tính).' });

export enum DatePrecisionEnum {
  DAY = 'DAY',
  MONTH = 'MONTH',
  YEAR = 'YEAR',
}
registerEnumType(DatePrecisionEnum, {
  name: 'DatePrecision',
  description: 'How much of a date is known. With MONTH the day is reported as 01; with YEAR the month and day are 01.',
});

export enum IdentityStatusEnum {
  NO_NUMBER = 'NO_NUMBER',
  UNVERIFIED = 'UNVERIFIED',
  VERIFIED = 'VERIFIED',
  MISMATCH = 'MISMATCH',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  PENDING_ISSUANCE = 'PENDING_ISSUANCE',
  ISSUED = 'ISSUED',
}
registerEnumType(IdentityStatusEnum, {
  name: 'IdentityStatus',
  description: 'Where the child stands with the personal identification number (số định danh cá nhân).',
  valuesConfig: {
    NO_NUMBER: { description: 'No source has given a number yet.' },
    UNVERIFIED: { description: 'A number was given by a source but not yet checked against the population database.' },
    VERIFIED: { description: 'The population database confirms the number, name and birth date; or, for a child whose records gave no number, it already held a number for the child\'s name and birth data (found, not issued).' },
    MISMATCH: { description: 'The number exists but some fields disagree with the population database.' },
    NOT_FOUND: { description: 'The population database does not know the number; also a number that cannot exist (not 12 digits, an unknown province code, a birth year to come: see its structural findings), which is not sent to it.' },
    CONFLICT: { description: 'The number, verified or issued, is also on another active child: probably records of one citizen, for a data steward to decide (identityConflicts).' },
    PENDING_ISSUANCE: { description: 'No number yet: the child is looked up by name and birth data until the population database has one (e.g. an abandoned child after birth registration).' },
    ISSUED: { description: 'The population database issued the number to an abandoned child while the hub waited for it (an earlier look-up found nobody); recorded with a NUMBER_ISSUED care event.' },
  },
});

export enum ChildStatusEnum {
  ACTIVE = 'ACTIVE',
  MERGED = 'MERGED',
}
registerEnumType(ChildStatusEnum, {
  name: 'ChildStatus',
  description: 'ACTIVE records are current; MERGED records were found to be the same child as `mergedIntoId`.',
});

export enum SourceSystemEnum {
  HEALTH_STATION = 'health-station',
  SCHOOL = 'school',
  JUSTICE_REGISTER = 'justice-register',
  FACILITY_INSPECTION = 'facility-inspection',
}
registerEnumType(SourceSystemEnum, {
  name: 'SourceSystem',
  description: 'The agency system a record came from.',
  valuesConfig: {
    HEALTH_STATION: { description: 'Commune health stations — electronic health records (Trạm y tế, Sở Y tế).' },
    SCHOOL: { description: 'Schools — education sector database (CSDL ngành giáo dục, Sở GD&ĐT).' },
    JUSTICE_REGISTER: { description: 'Adoption and birth registers (sổ đăng ký nuôi con nuôi, hộ tịch — Sở Tư pháp).' },
    FACILITY_INSPECTION: { description: 'Inspections of religious and social-assistance facilities.' },
  },
});

/** Where a golden field's value came from: a source record, or the population database itself. */
export enum FieldOriginEnum {
  SOURCE_RECORD = 'SOURCE_RECORD',
  POPULATION_DATABASE = 'POPULATION_DATABASE',
}
registerEnumType(FieldOriginEnum, {
  name: 'FieldOrigin',
  description: 'Where a field of the unified record came from.',
  valuesConfig: {
    SOURCE_RECORD: { description: 'A source record of an agency system (`sourceRecordId`, `sourceSystem`).' },
    POPULATION_DATABASE: { description: 'The national population database: a number it found by the child\'s name and birth data, or issued, that no source record gives.' },
  },
});

/** GraphQL names for the 14 groups; the clause letter is exposed beside it. */
export enum SpecialCircumstanceGroupEnum {
  ORPHANED = 'a',
  ABANDONED = 'b',
  WITHOUT_CARER = 'c',
  DISABILITY = 'd',
  HIV_AIDS = 'đ',
  IN_CONFLICT_WITH_LAW = 'e',
  DRUG_ADDICTED = 'g',
  LEFT_SCHOOL_TO_WORK = 'h',
  HARMED_BY_VIOLENCE = 'i',
  EXPLOITED = 'k',
  SEXUALLY_ABUSED = 'l',
  TRAFFICKED = 'm',
  SERIOUSLY_ILL_POOR_HOUSEHOLD = 'n',
  MIGRANT_OR_REFUGEE = 'o',
}
const GROUP_DESCRIPTIONS: Record<GroupClause, string> = {
  a: 'a — Trẻ em mồ côi cả cha và mẹ: orphaned of both parents.',
  b: 'b — Trẻ em bị bỏ rơi: abandoned.',
  c: 'c — Trẻ em không nơi nương tựa: without anyone to rely on.',
  d: 'd — Trẻ em khuyết tật: with disabilities.',
  đ: 'đ — Trẻ em nhiễm HIV/AIDS: living with HIV/AIDS.',
  e: 'e — Trẻ em vi phạm pháp luật: in conflict with the law.',
  g: 'g — Trẻ em nghiện ma túy: drug-addicted.',
  h: 'h — Trẻ em phải bỏ học kiếm sống chưa hoàn thành phổ cập giáo dục THCS: left school to earn a living.',
  i: 'i — Trẻ em bị tổn hại nghiêm trọng về thể chất và tinh thần do bị bạo lực: seriously harmed by violence.',
  k: 'k — Trẻ em bị bóc lột: exploited.',
  l: 'l — Trẻ em bị xâm hại tình dục: sexually abused.',
  m: 'm — Trẻ em bị mua bán: trafficked.',
  n: 'n — Trẻ em mắc bệnh hiểm nghèo hoặc bệnh phải điều trị dài ngày thuộc hộ nghèo hoặc hộ cận nghèo: seriously or chronically ill in a poor or near-poor household.',
  o: 'o — Trẻ em di cư, trẻ em lánh nạn, tị nạn chưa xác định được cha mẹ hoặc không có người chăm sóc: migrant, displaced or refugee without identified parents or carer.',
};
registerEnumType(SpecialCircumstanceGroupEnum, {
  name: 'SpecialCircumstanceGroup',
  description: 'The 14 groups of children in special circumstances (14 nhóm trẻ em có hoàn cảnh đặc biệt), Art. 10, Law on Children 2016.',
  valuesConfig: Object.fromEntries(
    Object.entries(SpecialCircumstanceGroupEnum).map(([name, clause]) => [name, { description: GROUP_DESCRIPTIONS[clause as GroupClause] }]),
  ),
});

registerEnumType(SensitivityClass, {
  name: 'SensitivityClass',
  description: 'Sensitivity classes of personal data; each personal field declares one and roles grant them.',
});

export enum GoldenFieldEnum {
  fullName = 'fullName',
  sex = 'sex',
  birthDate = 'birthDate',
  communeCode = 'communeCode',
  identityNumber = 'identityNumber',
}
registerEnumType(GoldenFieldEnum, { name: 'GoldenField', description: 'A field of the unified record whose source is tracked.' });
