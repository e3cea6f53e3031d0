import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ageOn, LAST_DAY } from '../calendar.js';
import { generateChild } from '../population.js';
import { generateSourceRecords } from '../source-views.js';
import {
  CLINICAL_SYSTEMS,
  generateHealthStationEntries,
  healthClinicalResources,
  type FhirImmunization,
  type HealthStationEntry,
} from './health-clinical.js';
import { FHIR_SYSTEMS, type HealthPatient } from './health-station.js';

const SEED = 2026;
const COUNT = 6000;
const entries: HealthStationEntry[] = [...generateHealthStationEntries({ seed: SEED, count: COUNT })];

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const vaccine = (i: FhirImmunization): string => i.vaccineCode.coding.find((c) => c.system === CLINICAL_SYSTEMS.vaccine)!.code;
const dose = (i: FhirImmunization): number => i.protocolApplied[0]!.doseNumberPositiveInt;

describe('health-station clinical resources', () => {
  it('are a pure function of (seed, child): regenerating a slice alone gives the same resources', () => {
    const slice = [...generateHealthStationEntries({ seed: SEED, count: COUNT, start: 1000, end: 1200 })];
    const expected = entries.filter((e) => e.index >= 1000 && e.index < 1200);
    expect(digest(slice)).toBe(digest(expected));
    const other = [...generateHealthStationEntries({ seed: SEED + 1, count: COUNT, start: 1000, end: 1200 })];
    expect(digest(other.map((e) => e.clinical))).not.toBe(digest(expected.map((e) => e.clinical)));
  });

  it('hold exactly the Patients of the existing health-station view (the generator output is unchanged)', () => {
    const patients = [...generateSourceRecords({ seed: SEED, count: COUNT, sources: ['health-station'] })].map((r) => r.record.raw);
    expect(entries.map((e) => e.patient)).toEqual(patients);
  });

  it('reference the Patient they belong to and have unique ids', () => {
    const ids = new Set<string>();
    for (const e of entries) {
      expect(e.clinical.patientId).toBe(e.patient.id);
      for (const r of [...e.clinical.immunizations, ...e.clinical.observations]) {
        expect(ids.has(r.id)).toBe(false);
        ids.add(r.id);
        expect(r.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
      }
      for (const i of e.clinical.immunizations) expect(i.patient.reference).toBe(`Patient/${e.patient.id}`);
      for (const o of e.clinical.observations) expect(o.subject.reference).toBe(`Patient/${e.patient.id}`);
    }
  });

  it('happen between birth and the end of the simulation, and are entered after they happen', () => {
    for (const e of entries) {
      const birth = generateChild(SEED, e.index, COUNT).birthDate;
      for (const i of e.clinical.immunizations) {
        expect(i.occurrenceDateTime >= birth && i.occurrenceDateTime <= LAST_DAY).toBe(true);
        expect(i.meta.lastUpdated.slice(0, 10) >= i.occurrenceDateTime).toBe(true);
      }
      for (const o of e.clinical.observations) {
        expect(o.effectiveDateTime >= birth && o.effectiveDateTime <= LAST_DAY).toBe(true);
        expect(o.meta.lastUpdated.slice(0, 10) >= o.effectiveDateTime).toBe(true);
      }
    }
  });

  it('follow the schedule: doses in order with their minimum gaps, each series at most once per dose', () => {
    for (const e of entries) {
      const given = e.clinical.immunizations.filter((i) => i.status === 'completed');
      const seen = new Set<string>();
      for (const i of given) {
        const key = `${vaccine(i)}#${dose(i)}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
      const dpt = given.filter((i) => vaccine(i) === 'DPT-VGB-HIB').sort((a, b) => dose(a) - dose(b));
      for (let k = 1; k < dpt.length; k++) expect(dpt[k]!.occurrenceDateTime > dpt[k - 1]!.occurrenceDateTime).toBe(true);
      // 6-in-1 replaces 5-in-1 and the polio vaccines, never both.
      if (given.some((i) => vaccine(i) === 'DTAP-IPV-HIB-VGB')) expect(given.some((i) => vaccine(i) === 'DPT-VGB-HIB' || vaccine(i) === 'BOPV')).toBe(false);
    }
  });

  it('give a realistic coverage among children aged 2 to 5, with some doses missed or not done', () => {
    const young = entries.filter((e) => {
      const age = ageOn(generateChild(SEED, e.index, COUNT).birthDate);
      return age >= 2 && age <= 5;
    });
    const share = (pred: (imms: FhirImmunization[]) => boolean): number =>
      young.filter((e) => pred(e.clinical.immunizations.filter((i) => i.status === 'completed'))).length / young.length;
    const third = share((g) => g.some((i) => (vaccine(i) === 'DPT-VGB-HIB' || vaccine(i) === 'DTAP-IPV-HIB-VGB') && dose(i) === 3));
    const measles = share((g) => g.some((i) => vaccine(i) === 'SOI'));
    const bcg = share((g) => g.some((i) => vaccine(i) === 'BCG'));
    expect(third).toBeGreaterThan(0.85);
    expect(third).toBeLessThan(0.97);
    expect(measles).toBeGreaterThan(0.88);
    expect(bcg).toBeGreaterThan(0.9);
    const all = entries.flatMap((e) => e.clinical.immunizations);
    const notDone = all.filter((i) => i.status === 'not-done');
    expect(notDone.length / all.length).toBeGreaterThan(0.003);
    expect(notDone.length / all.length).toBeLessThan(0.03);
    for (const i of notDone) expect(i.statusReason?.coding[0]?.code).toMatch(/^(MEDPREC|PATOBJ|OSTOCK)$/);
  });

  it('record a disability assessment consistent with the child, on every record flagged with a disability', () => {
    let assessed = 0;
    for (const e of entries) {
      const child = generateChild(SEED, e.index, COUNT);
      const flag = e.patient.extension.find((x) => x.url === FHIR_SYSTEMS.disability)?.valueCode;
      const assessments = e.clinical.observations.filter((o) => o.category.some((c) => c.coding[0]?.code === 'KHUYET_TAT'));
      if (flag) expect(assessments).toHaveLength(1);
      if (!child.disabilityType) expect(assessments).toHaveLength(0);
      for (const a of assessments) {
        assessed++;
        const type = a.component?.find((c) => c.code.coding[0]?.code === 'DANG_TAT')?.valueCodeableConcept?.coding[0]?.code;
        const severity = a.component?.find((c) => c.code.coding[0]?.code === 'MUC_DO')?.valueCodeableConcept?.coding[0]?.code;
        expect(type).toBe(child.disabilityType);
        expect(severity).toMatch(/^(NHE|NANG|DAC_BIET_NANG)$/);
      }
    }
    expect(assessed).toBeGreaterThan(20);
  });

  it('screen hearing and growth with plausible results', () => {
    const hearing = entries.flatMap((e) => e.clinical.observations.filter((o) => o.category[1]?.coding[0]?.code === 'THINH_LUC'));
    const abnormal = hearing.filter((o) => o.interpretation[0]!.coding[0]!.code === 'A').length / hearing.length;
    expect(abnormal).toBeGreaterThan(0.005);
    expect(abnormal).toBeLessThan(0.08);
    const growth = entries.flatMap((e) => e.clinical.observations.filter((o) => o.category[1]?.coding[0]?.code === 'DINH_DUONG'));
    expect(growth.length).toBeGreaterThan(1000);
    for (const o of growth) {
      expect(o.valueQuantity!.unit).toBe('kg');
      expect(o.valueQuantity!.value).toBeGreaterThan(2);
      expect(o.valueQuantity!.value).toBeLessThan(35);
    }
    const low = growth.filter((o) => o.interpretation[0]!.coding[0]!.code === 'L').length / growth.length;
    expect(low).toBeGreaterThan(0.02);
    expect(low).toBeLessThan(0.2);
  });

  it('split a moved child between its two records at one date', () => {
    const twoRecords = new Map<number, HealthStationEntry[]>();
    for (const e of entries) twoRecords.set(e.index, [...(twoRecords.get(e.index) ?? []), e]);
    const moved = [...twoRecords.values()].filter((list) => list.length === 2);
    expect(moved.length).toBeGreaterThan(10);
    for (const [first, second] of moved) {
      const dates = (e: HealthStationEntry): string[] => e.clinical.immunizations.map((i) => i.occurrenceDateTime);
      const a = dates(first!);
      const b = dates(second!);
      if (a.length && b.length) expect(a.reduce((x, y) => (x > y ? x : y)) <= b.reduce((x, y) => (x < y ? x : y))).toBe(true);
    }
  });

  it('give nothing for a child without a health-station record', () => {
    expect(healthClinicalResources(SEED, generateChild(SEED, 0, COUNT), [] as HealthPatient[])).toEqual([]);
  });
});
