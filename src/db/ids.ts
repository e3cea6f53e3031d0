import { monotonicFactory } from 'ulidx';

/** Prefixes of the hub's ids; a prefixed ULID sorts by creation time and reads well in logs and URLs. */
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
  consentRecord: 'cns',
  healthScreening: 'hsc', vaccination: 'vac', disabilityRecord: 'dis', schoolEnrolment: 'enr', birthRegistration: 'brg', adoptionRegistration: 'adr',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ulid = monotonicFactory();

/** A new prefixed, sortable id, e.g. `chd_01JD…`. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}

/** True when `id` has the prefix of `kind` and a ULID body. */
export function isIdOf(kind: IdKind, id: string): boolean {
  return new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`).test(id);
}
