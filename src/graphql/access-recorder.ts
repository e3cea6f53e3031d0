import type { SensitivityClass } from '../auth/sensitivity.js';

/**
 * Collects, during one GraphQL request, which children's data of which classes was released and which
 * fields were denied. The audit plugin turns it into audit events when the response is about to be sent.
 */
export class AccessRecorder {
  readonly childIds = new Set<string>();
  /** Records read that are not linked to a child yet (their personal data is audited by record id). */
  readonly unlinkedRecordIds = new Set<string>();
  /** Rejected records whose payload was read (audited by their own ids, apart from source records). */
  readonly rejectedRecordIds = new Set<string>();
  readonly classes = new Set<SensitivityClass>();
  readonly deniedChildIds = new Set<string>();
  readonly deniedFields = new Set<string>();
  /** Changes requested for children (operation names), audited as WRITE. */
  readonly writes = new Map<string, Set<string>>();

  /** Changes to records that are not a child's (rejected records dismissed): operation → record ids, audited as WRITE. */
  readonly recordWrites = new Map<string, Set<string>>();

  wroteRecords(operation: string, recordIds: Iterable<string>): void {
    const ids = this.recordWrites.get(operation) ?? new Set<string>();
    for (const id of recordIds) ids.add(id);
    this.recordWrites.set(operation, ids);
  }

  wrote(childId: string, operation: string): void {
    const ops = this.writes.get(childId) ?? new Set<string>();
    ops.add(operation);
    this.writes.set(childId, ops);
  }

  read(childId: unknown, cls: SensitivityClass, recordId?: unknown): void {
    if (typeof childId === 'string') this.childIds.add(childId);
    else if (typeof recordId === 'string') this.unlinkedRecordIds.add(recordId);
    this.classes.add(cls);
  }

  /** A rejected record's payload released: it may hold data of class `cls`. */
  readRejected(rejectedRecordId: string, cls: SensitivityClass): void {
    this.rejectedRecordIds.add(rejectedRecordId);
    this.classes.add(cls);
  }

  /** True when personal data was released (to a child, an unlinked record or a rejected record's payload). */
  get released(): boolean {
    return this.childIds.size > 0 || this.unlinkedRecordIds.size > 0 || this.rejectedRecordIds.size > 0;
  }

  deny(childId: unknown, field: string): void {
    if (typeof childId === 'string') this.deniedChildIds.add(childId);
    this.deniedFields.add(field);
  }
}
