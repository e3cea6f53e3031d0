import { z } from 'zod';
import type { Sex } from '../domain/source-record-input.js';
import { foldName } from '../domain/vietnamese-name.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { PersonQuery } from './population-db.client.js';

/**
 * Values as the population database writes them, whatever the transport (SOAP or a platform's JSON):
 * names, birth dates, sex codes, and the `Retry-After` of a quota refusal.
 */

/** Registry style: upper-case ASCII, `đ` → `D`, single spaces (`Nguyễn Thị Thu Hà` → `NGUYEN THI THU HA`). */
export function registryName(fullName: string): string {
  return foldName(fullName).toUpperCase();
}

/**
 * `yyyyMMdd` for a day- or month-precise birth (the hub stores a full date either way), `yyyy` for a
 * year-only one. The registry has no month-only form, so a `yyyy-MM` value is sent as its year.
 */
export function registryBirth(birth: PersonQuery['birth']): string {
  const full = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth.date);
  if (birth.precision !== 'YEAR' && full) return `${full[1]}${full[2]}${full[3]}`;
  const year = /^(\d{4})(?:-\d{2}(?:-\d{2})?)?$/.exec(birth.date);
  if (year) return year[1]!;
  throw new InvalidInputError('Birth date must be an ISO date (yyyy-mm-dd) or a year (yyyy)', { field: 'birth.date' });
}

/** A registry birth date: `yyyyMMdd` → DAY, `yyyy` (or `yyyy0000`, as some records carry it) → YEAR as `yyyy-01-01`. */
export const registryBirthSchema = z.string().transform((v, ctx) => {
  if (v === '') return { birthDate: null, birthDatePrecision: null };
  const m = /^(\d{4})(?:(\d{2})(\d{2}))?$/.exec(v);
  if (m && (m[2] === undefined || (m[2] === '00' && m[3] === '00'))) {
    return { birthDate: `${m[1]}-01-01`, birthDatePrecision: 'YEAR' as const };
  }
  if (m) {
    const iso = `${m[1]}-${m[2]}-${m[3]}`;
    const d = new Date(`${iso}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso) return { birthDate: iso, birthDatePrecision: 'DAY' as const };
  }
  ctx.issues.push({ code: 'custom', message: 'expected yyyyMMdd or yyyy', input: v });
  return z.NEVER;
});

/** `GioiTinh`: `1` male, `2` female, empty unknown. */
export const SEX_OF_CODE: Readonly<Record<string, Sex | null>> = { '1': 'MALE', '2': 'FEMALE', '': null };

/** What a quota refusal without a usable `Retry-After` means. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** `Retry-After` as delta-seconds or an HTTP date; anything unusable means the default. */
export function parseRetryAfter(header: unknown, now: Date): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(0, at - now.getTime());
}
