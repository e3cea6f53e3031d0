import { randomFillSync } from 'node:crypto';

/**
 * Prefixes of the hub's ids; a prefixed ULID sorts by creation time and reads well in logs and URLs. A child's
 * id is random instead (see {@link newId}).
 */
export const ID_PREFIXES = {
  child: 'chd',
  sourceRecord: 'src',
  identityNumber: 'idn',
  connector: 'con',
  connectorRun: 'run',
  ingestedFile: 'fil',
  rejectedRecord: 'rej',
  stewardDecision: 'dec',
  matchCandidate: 'mtc',
  specialCircumstance: 'grp',
  facility: 'fac',
  inspection: 'ins',
  placement: 'plc',
  careEvent: 'cev',
  issuanceRequest: 'iss',
  identityRequest: 'idr',
  consentRecord: 'cns',
  healthScreening: 'hsc', vaccination: 'vac', disabilityRecord: 'dis', schoolEnrolment: 'enr', birthRegistration: 'brg', adoptionRegistration: 'adr',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

/** An id's shape: a kind's prefix, `_`, and up to 40 letters and digits (a ULID's 26, or a test's own). */
const ID_SHAPE = /^[a-z]{3}_[0-9A-Za-z]{1,40}$/;

/**
 * Whether `id` has an id's shape (whatever its kind): what a caller's id or cursor must be before it is looked up
 * or named in the audit (QA: a NUL, a byte that is no UTF-8, or 6,000 characters reached the database).
 */
export function isIdShaped(id: unknown): id is string {
  return typeof id === 'string' && ID_SHAPE.test(id);
}

/**
 * Kinds whose ids carry no time. A child's id is read by every role that may see the child, and a ULID's
 * time (and the order ids sort in: a commune's children are listed by id) told which children one sync
 * created together: QA picked out the children a facility inspection's run brought, children in care, from
 * ids alone. A child's id is therefore random, in the same format (26 characters a ULID may have). So is a group
 * membership's (read with PROTECTION_GROUP alone): its time told which source's run brought the evidence (QA), and
 * a number's (read with IDENTITY alone): its time told which run brought the number (QA).
 */
const RANDOM_KINDS: ReadonlySet<IdKind> = new Set<IdKind>(['child', 'specialCircumstance', 'identityNumber']);

/** A new prefixed id, e.g. `chd_01JD…`: a sortable ULID, or for the kinds in {@link RANDOM_KINDS} random. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${RANDOM_KINDS.has(kind) ? randomUlidBody() : ulid()}`;
}

/** 26 characters of a ULID's grammar (the first 0–7: 128 bits), all random: no time, no order. */
export function randomUlidBody(): string {
  if (poolAt + 26 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let out = ALPHABET[pool[poolAt++]! & 7]!;
  for (let i = 1; i < 26; i++) out += ALPHABET[pool[poolAt++]! & 31]!;
  return out;
}

/** Crockford's base-32 alphabet, as ULIDs use it. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Random bytes drawn from the OS a page at a time: one system call per few hundred new milliseconds. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
let lastTime = -1;
/** The current millisecond's id without its last 5 characters (time and the random part's high 55 bits). */
let prefix = '';
/** The random part's high 11 characters as digits 0–31, kept to carry into. */
const high = new Uint8Array(11);
/** The random part's low 25 bits, incremented within a millisecond. */
let low = 0;

/**
 * A monotonic ULID (https://github.com/ulid/spec): 48 bits of milliseconds, then 80 random bits that are
 * incremented for every further id of the same millisecond, so ids sort in the order they were made within
 * a process as well as across time. Ingest makes several ids per record; building them from a cached
 * prefix and an increment costs a few tens of nanoseconds, where a general ULID library spent ~0.3 µs.
 */
export function ulid(now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    if (poolAt + 15 > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    for (let i = 0; i < 11; i++) high[i] = pool[poolAt++]! & 31;
    // Leave room to count up: the top bit of the low part starts clear.
    low = ((pool[poolAt++]! << 16) | (pool[poolAt++]! << 8) | pool[poolAt++]!) & 0xffffff;
    poolAt++;
    prefix = encodeTime(now) + highText();
  } else if (++low > 0x1ffffff) {
    // 2^25 ids in one millisecond: carry into the high part (the spec's increment of the whole 80 bits).
    low = 0;
    let i = 10;
    while (i >= 0 && high[i] === 31) high[i--] = 0;
    if (i < 0) throw new Error('ULID random part overflowed within one millisecond');
    high[i]!++;
    prefix = encodeTime(lastTime) + highText();
  }
  return prefix + ALPHABET[(low >>> 20) & 31]! + ALPHABET[(low >>> 15) & 31]! + ALPHABET[(low >>> 10) & 31]! + ALPHABET[(low >>> 5) & 31]! + ALPHABET[low & 31]!;
}

function encodeTime(t: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function highText(): string {
  let out = '';
  for (let i = 0; i < 11; i++) out += ALPHABET[high[i]!]!;
  return out;
}

/** True when `id` has the prefix of `kind` and a ULID body. */
export function isIdOf(kind: IdKind, id: string): boolean {
  return new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`).test(id);
}
