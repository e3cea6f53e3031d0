import { foldName, normalizeName } from '../domain/vietnamese-name.js';
import { column, readReferenceCsv } from './csv.js';

/** Commune-level unit types since 1 July 2025. */
export type CommuneType = 'xã' | 'phường' | 'đặc khu';

/** One commune-level unit of the 2025 two-tier system (code set `VN-2025`). */
export interface AdminUnit {
  /** 2-digit province code, e.g. `01` (Hà Nội). */
  readonly provinceCode: string;
  readonly provinceName: string;
  /** 5-digit commune code; reused from a predecessor commune, so store the code set with it. */
  readonly communeCode: string;
  /** Official full name including the type word, e.g. `Phường Ba Đình`. */
  readonly communeName: string;
  readonly communeType: CommuneType;
}

/** Hà Nội's 2-digit province code in the 2025 list. */
export const HANOI_PROVINCE_CODE = '01';

const COMMUNE_TYPES: readonly CommuneType[] = ['xã', 'phường', 'đặc khu'];

/** Folded spellings of each type word, longest first so `dac khu` wins over a lone `d…`. */
const TYPE_WORDS: ReadonlyArray<{ tokens: readonly string[]; type: CommuneType }> = [
  { tokens: ['dac', 'khu'], type: 'đặc khu' },
  { tokens: ['phuong'], type: 'phường' },
  { tokens: ['xa'], type: 'xã' },
  { tokens: ['dk'], type: 'đặc khu' },
  { tokens: ['p'], type: 'phường' },
  { tokens: ['x'], type: 'xã' },
];

interface Index {
  all: readonly AdminUnit[];
  byCode: ReadonlyMap<string, AdminUnit>;
  byProvince: ReadonlyMap<string, readonly AdminUnit[]>;
  /** `scope|key` → units; scope is a province code or `*`; key is the name without its type word. */
  exact: ReadonlyMap<string, readonly AdminUnit[]>;
  folded: ReadonlyMap<string, readonly AdminUnit[]>;
}

let index: Index | undefined;

function isCommuneType(value: string): value is CommuneType {
  return (COMMUNE_TYPES as readonly string[]).includes(value);
}

/**
 * Lower-case canonical form (diacritics kept, tone placement canonical), punctuation as spaces: dashes too, so
 * `Văn Miếu – Quốc Tử Giám` (en dash), `Văn Miếu-Quốc Tử Giám` and `Văn Miếu Quốc Tử Giám` find the list's
 * `Văn Miếu - Quốc Tử Giám` (QA: only the hyphen with spaces did).
 */
function exactKey(s: string): string {
  return normalizeName(s.replace(/[.,;:()\-\u2010-\u2015\u2212]/g, ' ')).toLowerCase();
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function load(): Index {
  if (index) return index;
  const all: AdminUnit[] = readReferenceCsv('admin-units-2025.csv').map((row) => {
    const communeType = column(row, 'commune_type');
    if (!isCommuneType(communeType)) throw new Error(`Unknown commune type "${communeType}"`);
    return Object.freeze({
      provinceCode: column(row, 'province_code'),
      provinceName: column(row, 'province_name'),
      communeCode: column(row, 'commune_code'),
      communeName: column(row, 'commune_name'),
      communeType,
    });
  });
  const byCode = new Map<string, AdminUnit>();
  const byProvince = new Map<string, AdminUnit[]>();
  const exact = new Map<string, AdminUnit[]>();
  const folded = new Map<string, AdminUnit[]>();
  for (const unit of all) {
    byCode.set(unit.communeCode, unit);
    push(byProvince, unit.provinceCode, unit);
    const typeWords = unit.communeType.split(' ').length;
    const core = unit.communeName.split(' ').slice(typeWords).join(' ');
    const coreExact = exactKey(core);
    const coreFolded = foldName(coreExact);
    for (const scope of [unit.provinceCode, '*']) {
      push(exact, `${scope}|${coreExact}`, unit);
      push(folded, `${scope}|${coreFolded}`, unit);
    }
  }
  for (const list of byProvince.values()) Object.freeze(list);
  index = { all: Object.freeze(all), byCode, byProvince, exact, folded };
  return index;
}

/** All 3,321 commune-level units in force from 1 July 2025, sorted by province then commune code. */
export function communes2025(): readonly AdminUnit[] {
  return load().all;
}

/** The communes of one province (2-digit code); empty for an unknown code. */
export function communesOfProvince(provinceCode: string): readonly AdminUnit[] {
  return load().byProvince.get(provinceCode) ?? [];
}

/** The 2025 unit with this 5-digit code, or null. */
export function communeByCode(communeCode: string): AdminUnit | null {
  return load().byCode.get(communeCode) ?? null;
}

interface Reading {
  type: CommuneType | null;
  exact: string;
  folded: string;
}

/** The ways a query can be read: with a leading type word taken as the type, and literally. */
function readings(name: string): Reading[] {
  const exactTokens = exactKey(name).split(' ').filter((t) => t !== '');
  const foldedTokens = exactTokens.map(foldName);
  const out: Reading[] = [{ type: null, exact: exactTokens.join(' '), folded: foldedTokens.join(' ') }];
  for (const { tokens, type } of TYPE_WORDS) {
    if (foldedTokens.length > tokens.length && tokens.every((t, i) => foldedTokens[i] === t)) {
      out.unshift({
        type,
        exact: exactTokens.slice(tokens.length).join(' '),
        folded: foldedTokens.slice(tokens.length).join(' '),
      });
      break;
    }
  }
  return out;
}

/**
 * Finds a 2025 commune by name, ignoring case, diacritics, tone-mark placement, punctuation and the type
 * word (`Phường Ba Đình`, `ba dinh`, `P. Ba Đình`, `Xa Thanh Tri`). A type word, when given, must agree.
 * When the query has diacritics, exact spellings win over folded ones (`Ba Đình` is not confused with the
 * `Xã Ba Dinh` of Quảng Ngãi); a query without diacritics matches on the fold only.
 * Returns null when nothing or more than one unit matches.
 */
export function resolveCommuneByName(name: string, provinceCode?: string): AdminUnit | null {
  const idx = load();
  const scope = provinceCode ?? '*';
  const reads = readings(name);
  // A query without diacritics may have lost them, so an exact hit on a diacritic-free name proves nothing.
  const hasDiacritics = reads.some((r) => r.exact !== r.folded);
  for (const tier of hasDiacritics ? (['exact', 'folded'] as const) : (['folded'] as const)) {
    const map = tier === 'exact' ? idx.exact : idx.folded;
    const found = new Set<AdminUnit>();
    for (const reading of reads) {
      if (reading[tier] === '') continue;
      for (const unit of map.get(`${scope}|${reading[tier]}`) ?? []) {
        if (reading.type === null || reading.type === unit.communeType) found.add(unit);
      }
    }
    if (found.size === 1) return [...found][0]!;
    if (found.size > 1) return null;
  }
  return null;
}
