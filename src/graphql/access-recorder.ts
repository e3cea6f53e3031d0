import type { SensitivityClass } from '../auth/sensitivity.js';

/**
 * Collects, during one GraphQL request, which children's data of which classes was released and which
 * fields were denied. The audit plugin turns it into audit events when the response is about to be sent.
 */
export class AccessRecorder {
  /** The classes of each child's data released (QA: one set for a whole request named children with data nobody read of them). */
  readonly childClasses = new Map<string, Set<SensitivityClass>>();
  /** Records read that are not linked to a child yet (their personal data is audited by record id), with their classes. */
  readonly unlinkedRecordClasses = new Map<string, Set<SensitivityClass>>();
  /** Rejected records whose payload was read (audited by their own ids, apart from source records), with their classes. */
  readonly rejectedRecordClasses = new Map<string, Set<SensitivityClass>>();
  readonly deniedChildIds = new Set<string>();
  readonly deniedFields = new Set<string>();
  /** Source records asked for by id and refused (see {@link deny}). */
  readonly deniedRecordIds = new Set<string>();
  /** Rejected records whose payload was refused (see {@link denyRejected}). */
  readonly deniedRejectedRecordIds = new Set<string>();
  /**
   * The fields read of each child, record not linked to a child, or rejected record (by its id): `Child.identityNumber`,
   * `HealthScreening.result`, the query or filter that told something of it (`Query.children(filter.group)`). An event
   * names the fields read of its own children and records.
   */
  readonly fieldsRead = new Map<string, Set<string>>();
  /** Changes requested for children (operation names), audited as WRITE. */
  readonly writes = new Map<string, Set<string>>();

  /** Changes to records that are not a child's (rejected records dismissed): operation → record ids, audited as WRITE. */
  readonly recordWrites = new Map<string, Set<string>>();

  /**
   * Reads of the audit and the registry call log (`Query.auditEvents`, `Query.registryCalls`), audited as READ events of
   * no class: who looked into whose history is itself history. Each with the filter it was asked with and how many rows
   * it returned.
   */
  readonly auditReads: AuditRead[] = [];

  readAudit(read: AuditRead): void {
    this.auditReads.push(read);
  }

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
    if (typeof childId === 'string') add(this.childClasses, childId, cls);
    else if (typeof recordId === 'string') add(this.unlinkedRecordClasses, recordId, cls);
  }

  /** Field `path` was read of child `childId`, else of record `recordId` (not linked to a child, or a rejected record). */
  readField(childId: unknown, path: string, recordId?: unknown): void {
    const id = typeof childId === 'string' ? childId : typeof recordId === 'string' ? recordId : null;
    if (id === null) return;
    const fields = this.fieldsRead.get(id);
    if (fields) fields.add(path);
    else this.fieldsRead.set(id, new Set([path]));
  }

  /** A rejected record's payload released: it may hold data of class `cls`. */
  readRejected(rejectedRecordId: string, cls: SensitivityClass): void {
    add(this.rejectedRecordClasses, rejectedRecordId, cls);
  }

  /** How many children's data was released. */
  get childCount(): number {
    return this.childClasses.size;
  }

  /** True when personal data was released (to a child, an unlinked record or a rejected record's payload). */
  get released(): boolean {
    return this.childClasses.size > 0 || this.unlinkedRecordClasses.size > 0 || this.rejectedRecordClasses.size > 0;
  }

  /**
   * What was released, grouped by the set of classes released: one group per distinct set, with the children,
   * unlinked records and rejected records it was released of (each id in one group only), ids sorted.
   */
  releasedGroups(): ReleasedGroup[] {
    const groups = new Map<string, ReleasedGroup>();
    const into = (classes: Set<SensitivityClass>): ReleasedGroup => {
      const fieldClasses = [...classes].sort();
      const key = fieldClasses.join(',');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { fieldClasses, childIds: [], unlinkedRecordIds: [], rejectedRecordIds: [], fields: [] }));
      return g;
    };
    for (const [id, classes] of this.childClasses) into(classes).childIds.push(id);
    for (const [id, classes] of this.unlinkedRecordClasses) into(classes).unlinkedRecordIds.push(id);
    for (const [id, classes] of this.rejectedRecordClasses) into(classes).rejectedRecordIds.push(id);
    const out = [...groups.values()].sort((a, b) => a.fieldClasses.join(',').localeCompare(b.fieldClasses.join(',')));
    for (const g of out) {
      for (const ids of [g.childIds, g.unlinkedRecordIds, g.rejectedRecordIds]) ids.sort();
      // The fields read of the group's children and records (ids of the three kinds never coincide: their prefixes differ).
      const fields = new Set<string>();
      for (const ids of [g.childIds, g.unlinkedRecordIds, g.rejectedRecordIds]) for (const id of ids) for (const f of this.fieldsRead.get(id) ?? []) fields.add(f);
      g.fields = [...fields].sort();
    }
    return out;
  }

  /**
   * A field refused: the child it was asked of, when known; `recordId`, a source record asked for by its id (an
   * auditor tells what was probed, linked to a child or not, known or not: QA).
   */
  deny(childId: unknown, field: string, recordId?: string): void {
    if (typeof childId === 'string') this.deniedChildIds.add(childId);
    if (recordId !== undefined) this.deniedRecordIds.add(recordId);
    this.deniedFields.add(field);
  }

  /** A field of a rejected record refused (its payload): the auditor tells which rejects were asked for (QA). */
  denyRejected(rejectedRecordId: string, field: string): void {
    this.deniedRejectedRecordIds.add(rejectedRecordId);
    this.deniedFields.add(field);
  }
}

/** One read of the audit or the registry call log: the filter as asked (ids, instants, screened text: no personal value). */
export interface AuditRead {
  field: string;
  /** The child the filter asked about, if any: the event names it, so that its history shows who looked into it. */
  childIds: string[];
  filter: Record<string, unknown>;
  rows: number;
}

/** Children and records released with the same classes: one READ audit event. */
export interface ReleasedGroup {
  fieldClasses: SensitivityClass[];
  childIds: string[];
  unlinkedRecordIds: string[];
  rejectedRecordIds: string[];
  /**
   * The fields read of the group's children and records (`Type.field`, or the query or filter that told something of
   * them): what was read, as the audit must say, not only of which classes.
   */
  fields: string[];
}

function add(map: Map<string, Set<SensitivityClass>>, id: string, cls: SensitivityClass): void {
  const classes = map.get(id);
  if (classes) classes.add(cls);
  else map.set(id, new Set([cls]));
}
