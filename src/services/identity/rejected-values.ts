import { hash } from 'node:crypto';
import { foldName } from '../../domain/vietnamese-name.js';

/**
 * Values the population database refused for a number: when it answers that the name or birth date sent with a
 * number does not match (`TruongKhongKhop`), the check records a digest of each refused value, and survivorship
 * then prefers, for that number, another source's value over one the registry refused (QA: a health station's
 * typo stayed the child's name, labelled MISMATCH, while the school's record held the name the registry knows).
 * The next check asks with the new value; when every candidate has been refused, the one refused last stays, so
 * nothing is asked again.
 *
 * Digests, to compare values without a second copy of them: they are not a protection (a name or a date can be
 * recovered from its digest by trying candidates), so the column is as sensitive as the child's row, which holds
 * the values. Names are compared folded (case, marks and spacing aside), as the registry compares them.
 */
export interface RejectedDigests {
  fullName?: string;
  birthDate?: string;
}

/** The registry's field names (`TruongKhongKhop`) this hub sends with a number, and what they refuse. */
const REGISTRY_FIELDS = { HoVaTen: 'fullName', NgayThangNamSinh: 'birthDate' } as const;

export function nameDigest(fullName: string): string {
  return hash('sha256', `fullName\n${foldName(fullName)}`, 'base64url');
}

export function birthDateDigest(date: string, precision: string | null): string {
  return hash('sha256', `birthDate\n${date}\n${precision ?? 'DAY'}`, 'base64url');
}

/** The digests of the values sent that the registry said do not match; null when it refused none of them. */
export function rejectedDigests(
  mismatched: readonly string[],
  sent: { fullName: string | null; birthDate: string | null; birthDatePrecision: string | null },
): RejectedDigests | null {
  const out: RejectedDigests = {};
  for (const field of mismatched) {
    const ours = REGISTRY_FIELDS[field as keyof typeof REGISTRY_FIELDS];
    if (ours === 'fullName' && sent.fullName) out.fullName = nameDigest(sent.fullName);
    if (ours === 'birthDate' && sent.birthDate) out.birthDate = birthDateDigest(sent.birthDate, sent.birthDatePrecision);
  }
  return out.fullName || out.birthDate ? out : null;
}

/**
 * What the registry refused for one number, over all its checks: each digest with when it was last refused (the
 * check's order). Of values all refused, the one refused last stays the child's: it is the one the registry was
 * last asked about, so the record does not flip back to an earlier one and ask again (QA re-check).
 */
export interface Refused {
  names: ReadonlyMap<string, number>;
  birthDates: ReadonlyMap<string, number>;
}
