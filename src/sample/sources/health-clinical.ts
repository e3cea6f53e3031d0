/**
 * What commune health stations record about a child besides the Patient: vaccinations of the expanded
 * immunisation programme (Tiêm chủng mở rộng, TCMR) as FHIR R4 `Immunization`, and screenings (newborn,
 * hearing, growth/nutrition, development, vision, disability assessment) as FHIR R4 `Observation`, each
 * referencing the `Patient/<id>` of one of the child's health-station records.
 *
 * Deterministic per (seed, child): drawn from a stream of its own ({@link clinicalRandom}), so adding this
 * view leaves every existing generator stream, and so every existing source record, unchanged.
 *
 * Choices (invented where the ministry's real code lists are not public):
 * - The TCMR schedule as commonly published: hepatitis B birth dose (within 24 h), BCG (first month),
 *   DPT-VGB-Hib "5-in-1" at 2, 3, 4 months with bOPV, IPV at 5 and 9 months, measles at 9 months,
 *   measles-rubella and a DPT booster at 18 months, Japanese encephalitis at 12 months (+1–2 weeks) and
 *   24 months, Td at 7 years. A share of families buys the "6-in-1" (DTaP-IPV-Hib-HepB) service vaccine
 *   instead of 5-in-1 + polio; it is recorded in the same system. Doses of 5-in-1 due during the 2023
 *   shortage are given late (November 2023 – January 2024).
 * - Coverage is high (most children > 95% per dose) with a minority of low-adherence families; most missed
 *   doses are simply absent, some are recorded `not-done` with a reason, a few `entered-in-error`.
 * - Vaccinations before the national immunisation information system (2017) were back-entered for only
 *   part of the older children.
 * - Codes: CVX for vaccines where one exists, LOINC for newborn screening, weight and height; everything
 *   else in invented `urn:vn:byt:*` systems ({@link CLINICAL_SYSTEMS}).
 * - A child with two health-station records (moved) has what happened before the move on the first record
 *   and the rest on the second.
 */
import { communeByCode } from '../../reference/admin-units.js';
import { LAST_DAY, addDays, localTimestamp, toDayNumber } from '../calendar.js';
import { generateChild, type DisabilityType, type SyntheticChild } from '../population.js';
import { Random, WeightedTable, forkRandom, hash32 } from '../random.js';
import { sourceRandom } from '../source-views.js';
import { FHIR_SYSTEMS, healthStationViews, type HealthPatient } from './health-station.js';

/** Code systems of the clinical resources (the `urn:vn:byt:*` ones are invented). */
export const CLINICAL_SYSTEMS = {
  cvx: 'http://hl7.org/fhir/sid/cvx',
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  /** National vaccine codes (vắc xin). */
  vaccine: 'urn:vn:byt:vac-xin',
  /** Kind of screening (loại khám sàng lọc): SO_SINH, THINH_LUC, DINH_DUONG, PHAT_TRIEN, THI_LUC, KHUYET_TAT, KHAM_DINH_KY. */
  screeningKind: 'urn:vn:byt:loai-kham-sang-loc',
  /** The station's code of the screening itself. */
  screening: 'urn:vn:byt:ma-kham-sang-loc',
  /** Follow-up decided (xử trí): CHUYEN_TUYEN (referred), THEO_DOI (watch). */
  followUp: 'urn:vn:byt:xu-tri',
  /** Disability type; the same system as the Patient's disability extension. */
  disabilityType: FHIR_SYSTEMS.disability,
  /** Disability severity (mức độ khuyết tật, Law on Persons with Disabilities 2010 Art. 3): NHE, NANG, DAC_BIET_NANG. */
  disabilitySeverity: 'urn:vn:byt:muc-do-khuyet-tat',
  /** Component codes of the disability assessment: DANG_TAT (type), MUC_DO (severity). */
  disabilityComponent: 'urn:vn:byt:thanh-phan-khuyet-tat',
} as const;

export type FhirCoding = { system: string; code: string; display?: string };
export type FhirCodeableConcept = { coding: FhirCoding[]; text?: string };
export type FhirReference = { reference?: string; display?: string };

export type ImmunizationStatus = 'completed' | 'not-done' | 'entered-in-error';

/** A FHIR R4 Immunization as the station's EHR exports it. */
export type FhirImmunization = {
  resourceType: 'Immunization';
  id: string;
  meta: { lastUpdated: string };
  status: ImmunizationStatus;
  statusReason?: FhirCodeableConcept;
  vaccineCode: FhirCodeableConcept;
  patient: FhirReference;
  /** The day given (or, when `not-done`, the day it was due at the session). */
  occurrenceDateTime: string;
  recorded: string;
  primarySource: boolean;
  lotNumber?: string;
  location: FhirReference;
  performer: Array<{ actor: FhirReference }>;
  protocolApplied: Array<{ series: string; doseNumberPositiveInt: number }>;
};

export type FhirQuantity = { value: number; unit: string; system: string; code: string };

/** A FHIR R4 Observation of a screening or assessment. */
export type FhirObservation = {
  resourceType: 'Observation';
  id: string;
  meta: { lastUpdated: string };
  status: 'final';
  category: FhirCodeableConcept[];
  code: FhirCodeableConcept;
  subject: FhirReference;
  effectiveDateTime: string;
  performer: FhirReference[];
  valueQuantity?: FhirQuantity;
  valueCodeableConcept?: FhirCodeableConcept;
  interpretation: FhirCodeableConcept[];
  component?: Array<{ code: FhirCodeableConcept; valueQuantity?: FhirQuantity; valueCodeableConcept?: FhirCodeableConcept }>;
  note?: Array<{ text: string }>;
};

/** The clinical resources of one health-station record. */
export interface ClinicalResources {
  patientId: string;
  immunizations: FhirImmunization[];
  observations: FhirObservation[];
}

type VaccineCode = 'VGB-SS' | 'BCG' | 'DPT-VGB-HIB' | 'DTAP-IPV-HIB-VGB' | 'BOPV' | 'IPV' | 'SOI' | 'MR' | 'DPT' | 'VNNB' | 'TD';

/** National vaccine codes with their CVX code and Vietnamese name. */
export const VACCINES: Readonly<Record<VaccineCode, { cvx: string; name: string }>> = {
  'VGB-SS': { cvx: '08', name: 'Vắc xin viêm gan B liều sơ sinh' },
  BCG: { cvx: '19', name: 'Vắc xin phòng lao (BCG)' },
  'DPT-VGB-HIB': { cvx: '102', name: 'Vắc xin 5 trong 1 (DPT-VGB-Hib)' },
  'DTAP-IPV-HIB-VGB': { cvx: '146', name: 'Vắc xin 6 trong 1 (DTaP-IPV-Hib-VGB)' },
  BOPV: { cvx: '178', name: 'Vắc xin bại liệt uống (bOPV)' },
  IPV: { cvx: '10', name: 'Vắc xin bại liệt tiêm (IPV)' },
  SOI: { cvx: '05', name: 'Vắc xin sởi' },
  MR: { cvx: '04', name: 'Vắc xin sởi - rubella (MR)' },
  DPT: { cvx: '01', name: 'Vắc xin bạch hầu - ho gà - uốn ván (DPT) nhắc lại' },
  VNNB: { cvx: '39', name: 'Vắc xin viêm não Nhật Bản' },
  TD: { cvx: '09', name: 'Vắc xin uốn ván - bạch hầu giảm liều (Td)' },
};

interface ScheduledDose {
  vaccine: VaccineCode;
  dose: number;
  /** Due age: days after birth (or months, converted by the schedule). */
  dueDays: number;
  /** Share of children in a fully adherent family who get it. */
  uptake: number;
  /** Fewest days after the previous dose of the same series. */
  minGapDays?: number;
  /** Earliest date the dose was offered at all (introduction into the programme). */
  since?: string;
  /** Part of the 5-in-1 + polio primary series replaced by 6-in-1 for service-vaccinated children. */
  replacedBySixInOne?: boolean;
}

const MONTH = 30.44;
const m = (months: number): number => Math.round(months * MONTH);

/** The TCMR schedule this generator follows (see the module comment). */
export const TCMR_SCHEDULE: readonly ScheduledDose[] = [
  { vaccine: 'VGB-SS', dose: 1, dueDays: 0, uptake: 0.9 },
  { vaccine: 'BCG', dose: 1, dueDays: 3, uptake: 0.98 },
  { vaccine: 'DPT-VGB-HIB', dose: 1, dueDays: m(2), uptake: 0.98, replacedBySixInOne: true },
  { vaccine: 'BOPV', dose: 1, dueDays: m(2), uptake: 0.97, replacedBySixInOne: true },
  { vaccine: 'DPT-VGB-HIB', dose: 2, dueDays: m(3), uptake: 0.97, minGapDays: 28, replacedBySixInOne: true },
  { vaccine: 'BOPV', dose: 2, dueDays: m(3), uptake: 0.96, minGapDays: 28, replacedBySixInOne: true },
  { vaccine: 'DPT-VGB-HIB', dose: 3, dueDays: m(4), uptake: 0.96, minGapDays: 28, replacedBySixInOne: true },
  { vaccine: 'BOPV', dose: 3, dueDays: m(4), uptake: 0.95, minGapDays: 28, replacedBySixInOne: true },
  { vaccine: 'IPV', dose: 1, dueDays: m(5), uptake: 0.95, since: '2018-01-01', replacedBySixInOne: true },
  { vaccine: 'SOI', dose: 1, dueDays: m(9), uptake: 0.97 },
  { vaccine: 'IPV', dose: 2, dueDays: m(9), uptake: 0.9, minGapDays: 56, since: '2022-01-01', replacedBySixInOne: true },
  { vaccine: 'VNNB', dose: 1, dueDays: m(12), uptake: 0.93 },
  { vaccine: 'VNNB', dose: 2, dueDays: m(12) + 10, uptake: 0.91, minGapDays: 7 },
  { vaccine: 'MR', dose: 1, dueDays: m(18), uptake: 0.93 },
  { vaccine: 'DPT', dose: 4, dueDays: m(18), uptake: 0.92, replacedBySixInOne: true },
  { vaccine: 'VNNB', dose: 3, dueDays: m(24), uptake: 0.85, minGapDays: 300 },
  { vaccine: 'TD', dose: 1, dueDays: m(84), uptake: 0.88, since: '2019-01-01' },
];

/** Doses of the 6-in-1 service series (2, 3, 4 months and a booster at 18 months). */
const SIX_IN_ONE: readonly ScheduledDose[] = [
  { vaccine: 'DTAP-IPV-HIB-VGB', dose: 1, dueDays: m(2), uptake: 0.99 },
  { vaccine: 'DTAP-IPV-HIB-VGB', dose: 2, dueDays: m(3), uptake: 0.99, minGapDays: 28 },
  { vaccine: 'DTAP-IPV-HIB-VGB', dose: 3, dueDays: m(4), uptake: 0.98, minGapDays: 28 },
  { vaccine: 'DTAP-IPV-HIB-VGB', dose: 4, dueDays: m(18), uptake: 0.95, minGapDays: 180 },
];

/** How often things happen in the clinical records. */
export const CLINICAL_RATES = {
  /** Families by adherence: the chance of each dose is `uptake × adherence`. */
  adherence: { high: { share: 0.88, factor: 0.995 }, medium: { share: 0.09, factor: 0.85 }, low: { share: 0.03, factor: 0.4 } },
  /** Children born from 2016 on whose family buys the 6-in-1 service vaccine. */
  sixInOne: 0.2,
  /** A missed dose that is recorded `not-done` (with a reason) rather than left out. */
  missedRecorded: 0.12,
  /** Recorded doses later marked `entered-in-error`. */
  enteredInError: 0.002,
  /** Share of children born before 2015 / in 2015–2016 whose pre-2017 vaccinations were back-entered. */
  backEntered: { before2015: 0.65, in2015to2016: 0.85 },
  /** The 5-in-1 shortage: doses due in this window are given in the catch-up window. */
  shortage: { from: '2023-03-01', to: '2023-10-31', catchUpFrom: '2023-11-01', catchUpTo: '2024-01-31' },
  newbornScreening: { since: '2016-01-01', before2020: 0.6, from2020: 0.8, abnormal: 0.01 },
  newbornHearing: { since: '2019-01-01', rate: 0.55, refer: 0.02 },
  /** Weighing on the micronutrient days (1 June, 1 December) of children under 5, from mid-2024. */
  growth: { from: '2024-06-01', attendance: 0.85 },
  development: { since: '2021-01-01', rate: 0.35, abnormal: 0.025 },
  vision: { on: '2025-09-15', rate: 0.5 },
  /** Disabled children whose record has no disability flag but does hold an assessment. */
  assessmentWithoutFlag: 0.3,
  severity: { NHE: 45, NANG: 40, DAC_BIET_NANG: 15 },
} as const;

const CLINICAL_SALT = 0x636c6e;

/** The clinical stream of child `index` under `seed` (independent of every other generator stream). */
export function clinicalRandom(seed: number, index: number): Random {
  return forkRandom(hash32(seed, CLINICAL_SALT), index);
}

const BIRTH_HOSPITALS = [
  'Bệnh viện Phụ sản Hà Nội',
  'Bệnh viện Phụ sản Trung ương',
  'Bệnh viện Đa khoa Đức Giang',
  'Bệnh viện Thanh Nhàn',
  'Bệnh viện Đa khoa Hà Đông',
  'Bệnh viện Bạch Mai',
];

const SEVERITY = new WeightedTable(
  Object.keys(CLINICAL_RATES.severity) as Array<keyof typeof CLINICAL_RATES.severity>,
  Object.values(CLINICAL_RATES.severity),
);

const SEVERITY_TEXT: Record<keyof typeof CLINICAL_RATES.severity, string> = {
  NHE: 'mức độ nhẹ',
  NANG: 'mức độ nặng',
  DAC_BIET_NANG: 'mức độ đặc biệt nặng',
};

const DISABILITY_TEXT: Record<DisabilityType, string> = {
  VAN_DONG: 'Khuyết tật vận động',
  NGHE_NOI: 'Khuyết tật nghe, nói',
  NHIN: 'Khuyết tật nhìn',
  THAN_KINH_TAM_THAN: 'Khuyết tật thần kinh, tâm thần',
  TRI_TUE: 'Khuyết tật trí tuệ',
  KHAC: 'Khuyết tật khác',
};

/** WHO weight-for-age and length/height-for-age medians (boys; girls a little lower), by month of age. */
const GROWTH_MONTHS = [0, 3, 6, 9, 12, 18, 24, 36, 48, 60];
const WEIGHT_MEDIAN = [3.3, 6.4, 7.9, 8.9, 9.6, 10.9, 12.2, 14.3, 16.3, 18.3];
const HEIGHT_MEDIAN = [49.9, 61.4, 67.6, 72.0, 75.7, 82.3, 87.1, 96.1, 103.3, 110.0];

function interpolate(table: readonly number[], months: number): number {
  for (let i = 1; i < GROWTH_MONTHS.length; i++) {
    const hi = GROWTH_MONTHS[i]!;
    if (months <= hi) {
      const lo = GROWTH_MONTHS[i - 1]!;
      return table[i - 1]! + ((table[i]! - table[i - 1]!) * (months - lo)) / (hi - lo);
    }
  }
  return table[table.length - 1]!;
}

function normal(rnd: Random): number {
  // Box–Muller; 1 - next() keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
}

const days = toDayNumber;

function laterOf(a: string, b: string): string {
  return a > b ? a : b;
}

/** The station named after the commune of a Patient's address. */
function stationName(patient: HealthPatient): string {
  const code = patient.address[0]?.extension.find((e) => e.url === FHIR_SYSTEMS.communeCode)?.valueCode;
  const unit = code ? communeByCode(code) : null;
  return unit ? `Trạm Y tế ${unit.communeName}` : 'Trạm Y tế';
}

function category(code: string): FhirCodeableConcept {
  return { coding: [{ system: CLINICAL_SYSTEMS.observationCategory, code }] };
}

type ScreeningKind = 'SO_SINH' | 'THINH_LUC' | 'DINH_DUONG' | 'PHAT_TRIEN' | 'THI_LUC' | 'KHUYET_TAT' | 'KHAM_DINH_KY';
type Interpretation = 'N' | 'A' | 'L' | 'H';

interface ScreeningInput {
  kind: ScreeningKind;
  fhirCategory: 'laboratory' | 'exam' | 'vital-signs' | 'survey';
  code: FhirCoding[];
  text: string;
  on: string;
  interpretation: Interpretation;
  referred?: boolean;
  valueQuantity?: FhirQuantity;
  valueText?: string;
  valueCoding?: FhirCoding[];
  component?: FhirObservation['component'];
}

const INTERPRETATION_TEXT: Record<Interpretation, string> = { N: 'Bình thường', A: 'Bất thường', L: 'Thấp', H: 'Cao' };

/** Everything recorded about one child, before it is split across the child's records. */
interface ClinicalEvent {
  on: string;
  /** Minutes after midnight the record was entered (working hours). */
  enteredAtMinute: number;
  /** Days between the event and its entry into the EHR. */
  entryLagDays: number;
  /** For back-entered history: the day it was entered. */
  enteredOn?: string;
  /** The record (index into the child's patients) it must go to, whatever the date. */
  pinTo?: number;
  build: (patient: HealthPatient, id: string, lastUpdated: string) => FhirImmunization | FhirObservation;
}

function quantity(value: number, unit: string): FhirQuantity {
  return { value, unit, system: CLINICAL_SYSTEMS.ucum, code: unit };
}

function screening(input: ScreeningInput, stationOf: (p: HealthPatient) => string): ClinicalEvent['build'] {
  return (patient, id, lastUpdated) => {
    const interpretation: FhirCodeableConcept = {
      coding: [{ system: CLINICAL_SYSTEMS.interpretation, code: input.interpretation }],
      text: INTERPRETATION_TEXT[input.interpretation],
    };
    if (input.referred) interpretation.coding.push({ system: CLINICAL_SYSTEMS.followUp, code: 'CHUYEN_TUYEN', display: 'Chuyển tuyến' });
    const obs: FhirObservation = {
      resourceType: 'Observation',
      id,
      meta: { lastUpdated },
      status: 'final',
      category: [category(input.fhirCategory), { coding: [{ system: CLINICAL_SYSTEMS.screeningKind, code: input.kind }] }],
      code: { coding: input.code, text: input.text },
      subject: { reference: `Patient/${patient.id}` },
      effectiveDateTime: input.on,
      performer: [{ display: stationOf(patient) }],
      interpretation: [interpretation],
    };
    if (input.valueQuantity) obs.valueQuantity = input.valueQuantity;
    else obs.valueCodeableConcept = { coding: input.valueCoding ?? [], text: input.valueText ?? INTERPRETATION_TEXT[input.interpretation] };
    if (input.component) obs.component = input.component;
    return obs;
  };
}

function screeningCode(code: string, display: string, loinc?: { code: string; display: string }): FhirCoding[] {
  const codes: FhirCoding[] = [{ system: CLINICAL_SYSTEMS.screening, code, display }];
  if (loinc) codes.push({ system: CLINICAL_SYSTEMS.loinc, code: loinc.code, display: loinc.display });
  return codes;
}

function vaccinations(child: SyntheticChild, rnd: Random): ClinicalEvent[] {
  const R = CLINICAL_RATES;
  const a = R.adherence;
  const u = rnd.next();
  const adherence = u < a.high.share ? a.high.factor : u < a.high.share + a.medium.share ? a.medium.factor : a.low.factor;
  const born = child.birthDate;
  const sixInOne = born >= '2016-01-01' && rnd.chance(R.sixInOne);
  const year = Number(born.slice(0, 4));
  const backEntered = year < 2015 ? rnd.chance(R.backEntered.before2015) : year < 2017 ? rnd.chance(R.backEntered.in2015to2016) : true;
  const backEntryDay = addDays('2017-06-01', rnd.int(0, 900));
  const hospital = rnd.pick(BIRTH_HOSPITALS);

  const schedule = sixInOne
    ? [...TCMR_SCHEDULE.filter((d) => !d.replacedBySixInOne), ...SIX_IN_ONE].sort((x, y) => x.dueDays - y.dueDays)
    : TCMR_SCHEDULE;
  const lastGiven = new Map<VaccineCode, string>();
  const events: ClinicalEvent[] = [];
  for (const dose of schedule) {
    // Draws happen for every dose, whatever the outcome, so one dose's fate does not shift the next.
    const takes = rnd.chance(dose.uptake * adherence);
    const recordMiss = rnd.chance(R.missedRecorded);
    const missReason = rnd.pick(MISS_REASONS);
    const delayRoll = rnd.next();
    const delay = delayRoll < 0.7 ? rnd.int(0, 7) : delayRoll < 0.92 ? rnd.int(8, 30) : rnd.int(31, 90);
    const catchUp = rnd.int(0, days(R.shortage.catchUpTo) - days(R.shortage.catchUpFrom));
    const error = rnd.chance(R.enteredInError);
    const lot = `${dose.vaccine.replace(/[^A-Z]/g, '').slice(0, 3)}${rnd.int(10_000, 99_999)}`;
    const minute = rnd.int(7 * 60 + 30, 16 * 60 + 30);
    const lag = rnd.int(0, 3);

    const due = addDays(born, dose.dueDays);
    if (dose.since && due < dose.since) continue;
    let on = dose.dueDays === 0 ? born : addDays(due, delay);
    const previous = lastGiven.get(dose.vaccine);
    if (previous && dose.minGapDays && days(on) - days(previous) < dose.minGapDays) on = addDays(previous, dose.minGapDays);
    if (dose.vaccine === 'DPT-VGB-HIB' && on >= R.shortage.from && on <= R.shortage.to) on = addDays(R.shortage.catchUpFrom, catchUp);
    if (on > LAST_DAY) continue;
    if (on < '2017-01-01' && !backEntered) continue;
    if (!takes && !recordMiss) continue;
    const status: ImmunizationStatus = !takes ? 'not-done' : error ? 'entered-in-error' : 'completed';
    if (takes) lastGiven.set(dose.vaccine, on);
    const atBirthPlace = dose.dueDays === 0 || (dose.vaccine === 'BCG' && !child.abandoned);
    const vaccine = VACCINES[dose.vaccine];
    events.push({
      on,
      enteredAtMinute: minute,
      entryLagDays: lag,
      ...(on < '2017-01-01' ? { enteredOn: backEntryDay } : {}),
      build: (patient, id, lastUpdated) => {
        const place = atBirthPlace ? hospital : stationName(patient);
        const imm: FhirImmunization = {
          resourceType: 'Immunization',
          id,
          meta: { lastUpdated },
          status,
          vaccineCode: {
            coding: [
              { system: CLINICAL_SYSTEMS.vaccine, code: dose.vaccine, display: vaccine.name },
              { system: CLINICAL_SYSTEMS.cvx, code: vaccine.cvx },
            ],
            text: vaccine.name,
          },
          patient: { reference: `Patient/${patient.id}` },
          occurrenceDateTime: on,
          recorded: lastUpdated,
          primarySource: on >= '2017-01-01',
          location: { display: place },
          performer: [{ actor: { display: place } }],
          protocolApplied: [{ series: sixInOne && dose.vaccine === 'DTAP-IPV-HIB-VGB' ? 'DICH_VU' : 'TCMR', doseNumberPositiveInt: dose.dose }],
        };
        if (status === 'not-done') imm.statusReason = { coding: [{ system: CLINICAL_SYSTEMS.actReason, code: missReason.code }], text: missReason.text };
        else imm.lotNumber = lot;
        return imm;
      },
    });
  }
  return events;
}

const MISS_REASONS = [
  { code: 'MEDPREC', text: 'Hoãn tiêm do trẻ đang ốm, sốt' },
  { code: 'PATOBJ', text: 'Gia đình từ chối tiêm' },
  { code: 'OSTOCK', text: 'Hết vắc xin' },
] as const;

function ageInMonths(birth: string, on: string): number {
  return (days(on) - days(birth)) / MONTH;
}

function screenings(child: SyntheticChild, patients: readonly HealthPatient[], rnd: Random): ClinicalEvent[] {
  const R = CLINICAL_RATES;
  const born = child.birthDate;
  const disability = child.disabilityType;
  const events: ClinicalEvent[] = [];
  const station = stationName;
  const push = (on: string, input: Omit<ScreeningInput, 'on'>, lag = rnd.int(0, 5)): void => {
    const minute = rnd.int(7 * 60 + 30, 16 * 60 + 30);
    if (on > LAST_DAY || on < born) return;
    events.push({ on, enteredAtMinute: minute, entryLagDays: lag, build: screening({ ...input, on }, station) });
  };

  // Newborn blood-spot screening (sàng lọc sơ sinh), 36–72 h after birth; not for foundlings.
  const nb = R.newbornScreening;
  const nbRate = born >= '2020-01-01' ? nb.from2020 : nb.before2020;
  const nbTaken = rnd.chance(nbRate);
  const nbAbnormal = rnd.chance(nb.abnormal);
  const nbWhich = rnd.chance(0.9) ? 'Thiếu men G6PD' : 'Nghi ngờ suy giáp trạng bẩm sinh';
  if (born >= nb.since && !child.abandoned && nbTaken) {
    push(addDays(born, rnd.int(2, 3)), {
      kind: 'SO_SINH',
      fhirCategory: 'laboratory',
      code: screeningCode('SLSS', 'Sàng lọc sơ sinh (máu gót chân)', { code: '54089-8', display: 'Newborn screening panel' }),
      text: 'Sàng lọc sơ sinh',
      interpretation: nbAbnormal ? 'A' : 'N',
      referred: nbAbnormal,
      valueText: nbAbnormal ? nbWhich : 'Bình thường',
    });
  }

  // Newborn hearing screening (OAE); children with a hearing/speech disability mostly fail it.
  const nh = R.newbornHearing;
  const nhTaken = rnd.chance(nh.rate);
  const nhRefer = disability === 'NGHE_NOI' ? rnd.chance(0.9) : rnd.chance(nh.refer);
  if (born >= nh.since && !child.abandoned && nhTaken) {
    push(addDays(born, rnd.int(1, 28)), {
      kind: 'THINH_LUC',
      fhirCategory: 'exam',
      code: screeningCode('SLTL-SS', 'Sàng lọc thính lực sơ sinh'),
      text: 'Sàng lọc thính lực sơ sinh',
      interpretation: nhRefer ? 'A' : 'N',
      referred: nhRefer,
      valueText: nhRefer ? 'Không đạt (cần đo lại)' : 'Đạt cả hai tai',
    });
  }

  // Weighing and measuring of under-fives on the micronutrient days; the child keeps its growth channel.
  const zWeight = -0.2 + normal(rnd);
  const zHeight = -0.35 + 0.6 * zWeight + 0.8 * normal(rnd);
  const girl = child.sex === 'FEMALE';
  for (const day of ['2024-06-01', '2024-12-01', '2025-06-01', '2025-12-01', '2026-06-01']) {
    const attends = rnd.chance(R.growth.attendance);
    const on = addDays(day, rnd.int(0, 5));
    const months = ageInMonths(born, on);
    if (!attends || months < 1 || months >= 60) continue;
    const weight = interpolate(WEIGHT_MEDIAN, months) * (girl ? 0.95 : 1) * (1 + 0.11 * zWeight);
    const height = interpolate(HEIGHT_MEDIAN, months) * (girl ? 0.985 : 1) * (1 + 0.037 * zHeight);
    const underweight = zWeight < -2;
    const stunted = zHeight < -2;
    const overweight = zWeight > 2;
    const status = underweight ? 'Suy dinh dưỡng thể nhẹ cân' : stunted ? 'Suy dinh dưỡng thể thấp còi' : overweight ? 'Thừa cân' : 'Bình thường';
    push(on, {
      kind: 'DINH_DUONG',
      fhirCategory: 'vital-signs',
      code: screeningCode('CDDD', 'Cân đo theo dõi tăng trưởng', { code: '29463-7', display: 'Body weight' }),
      text: 'Cân nặng',
      interpretation: underweight || stunted ? 'L' : overweight ? 'H' : 'N',
      valueQuantity: quantity(Math.round(weight * 10) / 10, 'kg'),
      component: [
        { code: { coding: [{ system: CLINICAL_SYSTEMS.loinc, code: '8302-2', display: 'Body height' }], text: 'Chiều cao' }, valueQuantity: quantity(Math.round(height * 10) / 10, 'cm') },
        { code: { coding: [{ system: CLINICAL_SYSTEMS.screening, code: 'TTDD' }], text: 'Tình trạng dinh dưỡng' }, valueCodeableConcept: { coding: [], text: status } },
      ],
    });
  }

  // Development screening between 18 and 30 months.
  const dv = R.development;
  const dvTaken = rnd.chance(dv.rate);
  const dvOn = addDays(born, rnd.int(m(18), m(30)));
  const dvConcern = disability === 'TRI_TUE' || disability === 'THAN_KINH_TAM_THAN' || disability === 'NGHE_NOI';
  const dvAbnormal = dvConcern ? rnd.chance(0.85) : rnd.chance(dv.abnormal);
  if (born >= dv.since && dvTaken) {
    push(dvOn, {
      kind: 'PHAT_TRIEN',
      fhirCategory: 'survey',
      code: screeningCode('SLPT', 'Sàng lọc phát triển (ASQ-3)'),
      text: 'Sàng lọc phát triển',
      interpretation: dvAbnormal ? 'A' : 'N',
      referred: dvAbnormal,
      valueText: !dvAbnormal
        ? 'Đạt các mốc phát triển theo tuổi'
        : disability === 'THAN_KINH_TAM_THAN'
          ? 'Nghi ngờ rối loạn phổ tự kỷ'
          : 'Chậm phát triển ngôn ngữ',
    });
  }

  // Vision at the 2025 school health check (6 and over); myopia grows with age.
  const vsTaken = rnd.chance(R.vision.rate);
  const vsOn = addDays(R.vision.on, rnd.int(0, 30));
  const age = Math.floor(ageInMonths(born, vsOn) / 12);
  const myopic = disability === 'NHIN' || rnd.chance(Math.min(0.45, 0.08 + 0.03 * (age - 6)));
  const acuity = disability === 'NHIN' ? rnd.int(1, 3) : myopic ? rnd.int(4, 8) : 10;
  const vsReferred = disability === 'NHIN' || (myopic && rnd.chance(0.4));
  if (age >= 6 && vsTaken) {
    push(vsOn, {
      kind: 'THI_LUC',
      fhirCategory: 'exam',
      code: screeningCode('TL', 'Khám thị lực'),
      text: 'Khám thị lực',
      interpretation: myopic ? 'A' : 'N',
      referred: vsReferred,
      valueText: `Mắt phải ${acuity}/10, mắt trái ${Math.min(10, acuity + (myopic ? 1 : 0))}/10`,
    });
  }

  // Disability assessment (xác định mức độ khuyết tật): on every record that carries the disability flag,
  // and on the first record of some disabled children whose records do not.
  if (disability) {
    const severity = SEVERITY.at(rnd.next());
    const flagged = patients.map((p) => p.extension.some((e) => e.url === FHIR_SYSTEMS.disability));
    const unflaggedAssessment = rnd.chance(R.assessmentWithoutFlag);
    const firstOn = addDays(born, rnd.int(180, Math.max(181, days(LAST_DAY) - days(born))));
    const secondOn = addDays(firstOn, rnd.int(30, 400));
    patients.forEach((p, i) => {
      if (!flagged[i] && !(i === 0 && !flagged.some(Boolean) && unflaggedAssessment)) return;
      const type = (p.extension.find((e) => e.url === FHIR_SYSTEMS.disability)?.valueCode as DisabilityType | undefined) ?? disability;
      const on = i === 0 ? firstOn : secondOn;
      const build = screening(
        {
          kind: 'KHUYET_TAT',
          fhirCategory: 'survey',
          code: screeningCode('XDKT', 'Xác định dạng tật và mức độ khuyết tật'),
          text: 'Xác định mức độ khuyết tật',
          on: on > LAST_DAY ? LAST_DAY : on,
          interpretation: 'A',
          valueText: `${DISABILITY_TEXT[type]}, ${SEVERITY_TEXT[severity]}`,
          component: [
            {
              code: { coding: [{ system: CLINICAL_SYSTEMS.disabilityComponent, code: 'DANG_TAT' }], text: 'Dạng tật' },
              valueCodeableConcept: { coding: [{ system: CLINICAL_SYSTEMS.disabilityType, code: type }], text: DISABILITY_TEXT[type] },
            },
            {
              code: { coding: [{ system: CLINICAL_SYSTEMS.disabilityComponent, code: 'MUC_DO' }], text: 'Mức độ' },
              valueCodeableConcept: { coding: [{ system: CLINICAL_SYSTEMS.disabilitySeverity, code: severity }], text: SEVERITY_TEXT[severity] },
            },
          ],
        },
        station,
      );
      // Pinned to this record: the assessment is written on the record that shows the flag.
      events.push({ on: on > LAST_DAY ? LAST_DAY : on, enteredAtMinute: rnd.int(8 * 60, 16 * 60), entryLagDays: rnd.int(0, 10), pinTo: i, build });
    });
  }
  return events;
}

/**
 * The clinical resources of a child's health-station records, one entry per patient in the given order
 * (the order {@link healthStationViews} produces: the first record, then the one at the station the child
 * moved to). `patients` must be the child's records from the same seed; an empty list gives none.
 */
export function healthClinicalResources(seed: number, child: SyntheticChild, patients: readonly HealthPatient[]): ClinicalResources[] {
  if (patients.length === 0) return [];
  const rnd = clinicalRandom(seed, child.index);
  const moveOn = addDays(child.birthDate, rnd.int(30, Math.max(31, days(LAST_DAY) - days(child.birthDate))));
  const events = [...vaccinations(child, rnd), ...screenings(child, patients, rnd)];
  const out: ClinicalResources[] = patients.map((p) => ({ patientId: p.id, immunizations: [], observations: [] }));
  for (const event of events) {
    const target = event.pinTo ?? (patients.length > 1 && event.on >= moveOn ? 1 : 0);
    const patient = patients[target]!;
    const bucket = out[target]!;
    const entered = laterOf(event.enteredOn ?? addDays(event.on, event.entryLagDays), event.on);
    const lastUpdated = localTimestamp(entered > LAST_DAY ? LAST_DAY : entered, event.enteredAtMinute);
    const n = bucket.immunizations.length + bucket.observations.length + 1;
    const resource = event.build(patient, `${patient.id}-${String(n).padStart(3, '0')}`, lastUpdated);
    if (resource.resourceType === 'Immunization') bucket.immunizations.push(resource);
    else bucket.observations.push(resource);
  }
  for (const bucket of out) {
    bucket.immunizations.sort((a, b) => a.occurrenceDateTime.localeCompare(b.occurrenceDateTime) || a.id.localeCompare(b.id));
    bucket.observations.sort((a, b) => a.effectiveDateTime.localeCompare(b.effectiveDateTime) || a.id.localeCompare(b.id));
  }
  return out;
}

/** One health-station record of the synthetic population with its clinical resources. */
export interface HealthStationEntry {
  /** Index of the child in the population. */
  index: number;
  truthId: string;
  patient: HealthPatient;
  clinical: ClinicalResources;
}

/**
 * Every health-station record of children `start … end-1` (the same Patients as
 * `generateSourceRecords({ sources: ['health-station'] })`), each with its clinical resources.
 */
export function* generateHealthStationEntries(options: { seed: number; count: number; start?: number; end?: number }): Generator<HealthStationEntry> {
  const { seed, count, start = 0, end = count } = options;
  for (let i = Math.max(0, start); i < Math.min(end, count); i++) {
    const child = generateChild(seed, i, count);
    const patients = healthStationViews(child, sourceRandom(seed, 'health-station', i)).map((v) => v.record.raw as HealthPatient);
    const clinical = healthClinicalResources(seed, child, patients);
    for (let k = 0; k < patients.length; k++) yield { index: i, truthId: child.truthId, patient: patients[k]!, clinical: clinical[k]! };
  }
}
