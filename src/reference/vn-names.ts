import type { Sex } from '../domain/source-record-input.js';
import { foldName, normalizeName } from '../domain/vietnamese-name.js';
import { column, readReferenceCsv } from './csv.js';

/** A name with its frequency in the reference sample. */
export interface NameFrequency {
  /** As spelled in the sample (NFC, title case); spelling variants are separate entries. */
  readonly name: string;
  /** Percentage of the sample (of all names for family names, of that sex for middle and given names). */
  readonly weight: number;
}

/**
 * Sample sizes behind the percentages (see PROVENANCE.md): family names over 49,153 names, middle and
 * given names over 20,166 female and 20,330 male names.
 */
export const NAME_SAMPLE_SIZES = { family: 49_153, FEMALE: 20_166, MALE: 20_330 } as const;

interface Table {
  list: readonly NameFrequency[];
  /** canonical lower-case spelling → share (0..1); variants that normalise alike are summed. */
  exact: ReadonlyMap<string, number>;
  /** ASCII fold → share; used when the query carries no diacritics. */
  folded: ReadonlyMap<string, number>;
}

interface Tables {
  family: Table;
  middle: Record<Sex, Table>;
  given: Record<Sex, Table>;
}

let tables: Tables | undefined;

function exactKey(name: string): string {
  return normalizeName(name).toLowerCase();
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function table(list: NameFrequency[]): Table {
  const exact = new Map<string, number>();
  const folded = new Map<string, number>();
  for (const { name, weight } of list) {
    add(exact, exactKey(name), weight / 100);
    add(folded, foldName(name), weight / 100);
  }
  return { list: Object.freeze(list.map((e) => Object.freeze(e))), exact, folded };
}

function bySex(file: string): Record<Sex, Table> {
  const rows = readReferenceCsv(file);
  const pick = (sex: 'female' | 'male'): NameFrequency[] =>
    rows
      .filter((row) => column(row, 'sex') === sex)
      .map((row) => ({ name: column(row, 'name'), weight: Number(column(row, 'weight')) }));
  return { FEMALE: table(pick('female')), MALE: table(pick('male')) };
}

function load(): Tables {
  if (tables) return tables;
  const family = readReferenceCsv('vn-names/family_names.csv').map((row) => ({
    name: column(row, 'name'),
    weight: Number(column(row, 'weight')),
  }));
  tables = { family: table(family), middle: bySex('vn-names/middle_names.csv'), given: bySex('vn-names/given_names.csv') };
  return tables;
}

/** Family names (211) with their share of the sample, most frequent first. Nguyễn is under-represented (24.6%). */
export function familyNameFrequencies(): readonly NameFrequency[] {
  return load().family.list;
}

/** Middle names (chữ đệm, top 300 for the sex) as whole strings (`Thị`, `Thị Thu`), most frequent first. */
export function middleNameFrequencies(sex: Sex): readonly NameFrequency[] {
  return load().middle[sex].list;
}

/** Given names (tên, top 300 for the sex), most frequent first. */
export function givenNameFrequencies(sex: Sex): readonly NameFrequency[] {
  return load().given[sex].list;
}

function hasDiacritics(name: string): boolean {
  return foldName(name) !== name.normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

function share(t: Table, name: string): number {
  return hasDiacritics(name) ? (t.exact.get(exactKey(name)) ?? 0) : (t.folded.get(foldName(name)) ?? 0);
}

/**
 * Share (0..1) of the sample with this family name; 0 when unknown. A name written without diacritics
 * (`NGUYEN`) gets the summed share of every name that folds to it, since it could be any of them.
 * Note: the sample under-represents Nguyễn (24.6% against ~38% nationally), so treat shares as rough.
 */
export function familyNameShare(name: string): number {
  return share(load().family, name);
}

/**
 * Share (0..1) of the sample with this given name — lower means rarer, and a match on it stronger
 * evidence. With `sex` the share among that sex, without it the share among all names. 0 when the name is
 * not among the top 300 of the sex (i.e. rare). Names without diacritics are looked up by their fold
 * (`THUY` = Thủy + Thúy + Thùy + Thụy …), which overstates commonness rather than understating it.
 */
export function givenNameRarity(name: string, sex?: Sex): number {
  const t = load().given;
  if (sex) return share(t[sex], name);
  const { FEMALE: nf, MALE: nm } = NAME_SAMPLE_SIZES;
  return (share(t.FEMALE, name) * nf + share(t.MALE, name) * nm) / (nf + nm);
}
