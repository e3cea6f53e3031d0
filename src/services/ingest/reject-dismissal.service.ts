import type { Sql } from '../../db/sql.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../errors/index.js';
import { holdsPersonalNumber } from '../../connectors/file/file-label.js';
import { lockQuarantine } from './quarantine-lock.js';

/** The longest reason a dismissal keeps, in characters: a sentence or two, not a document. */
export const MAX_DISMISSAL_NOTE_LENGTH = 500;

/** Control characters (Unicode Cc) other than tab and line feed: invisible, and NUL cannot be stored in PostgreSQL text at all. */
const FORBIDDEN_CONTROL = /[^\P{Cc}\t\n]/u;

/**
 * The reason a person gave for dismissing rejects, as it is kept: trimmed, required, at most
 * {@link MAX_DISMISSAL_NOTE_LENGTH} characters, with tabs and line breaks (a Windows `\r\n` kept as `\n`) but
 * no other control character, and no personal-looking number ({@link holdsPersonalNumber}). The errors never repeat it:
 * it is free text and may hold anything.
 */
export function dismissalNote(reason: string): string {
  const note = reason.replace(/\r\n/g, '\n').trim();
  if (note.length === 0) throw new InvalidInputError('A reason is required to dismiss rejected records', { argument: 'reason' });
  const length = [...note].length;
  if (length > MAX_DISMISSAL_NOTE_LENGTH) {
    throw new InvalidInputError(`The reason has ${length} characters; at most ${MAX_DISMISSAL_NOTE_LENGTH} are kept`, { argument: 'reason' });
  }
  const control = FORBIDDEN_CONTROL.exec(note);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new InvalidInputError(`The reason holds a control character (U+${code}); only tabs and line breaks are kept`, { argument: 'reason' });
  }
  // Kept with the rejects and read by the data stewards of the whole city: a personal-looking number (an identity,
  // insurance or phone number) is refused (QA: a child's number was kept and shown). Names are not screened: the rules that find
  // them in file names took ordinary words and places for names in sentences (QA re-check).
  if (holdsPersonalNumber(note)) {
    throw new InvalidInputError(
      'The reason seems to hold a personal number (9 digits or more: an identity, insurance or phone number), which is kept with the '
        + 'rejected records and read by you and by whole-city tokens granted every data class (data stewards): write why the records are dismissed, not the child\'s data (each reject is known by its id)',
      { argument: 'reason', problem: 'PERSONAL_DATA' },
    );
  }
  return note;
}

/**
 * Closes open rejects by hand (`resolution = 'DISMISSED'`), with who and why: a record the source will
 * never fix, or one without an external id that no run can resolve. All or nothing, in one transaction that
 * takes the quarantine lock of their sources (a sync's batch writing rejects of them meanwhile finishes first,
 * and the next waits: see quarantine-lock.ts) and locks the rows, so a sync closing one of them meanwhile is seen: an unknown id (NOT_FOUND) or one
 * already closed (CONFLICT, naming them and how they were closed) refuses the whole call.
 */
export class RejectDismissal {
  constructor(private readonly sql: Sql) {}

  /**
   * @param by who, as a run's requestedBy names them (their officer number, else their token's subject)
   * @param subject their token's subject: the note's author, to whom it is released
   */
  async dismiss(ids: string[], by: string, subject: string, note: string): Promise<void> {
    const wanted = [...new Set(ids)];
    await this.sql.tx(async (client) => {
      // A batch quarantining records of the same sources meanwhile finishes first, or waits for this one.
      const systems = await client.query<{ source_system: string }>('SELECT DISTINCT source_system FROM rejected_record WHERE id = ANY($1::text[])', [wanted]);
      await lockQuarantine(client, systems.rows.map((r) => r.source_system));
      const found = await client.query<{ id: string; resolution: string | null }>(
        'SELECT id, resolution FROM rejected_record WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
        [wanted],
      );
      const known = new Set(found.rows.map((r) => r.id));
      const unknown = wanted.filter((id) => !known.has(id));
      if (unknown.length) {
        throw new NotFoundError(`No rejected record ${unknown.join(', ')}: nothing was dismissed`, { argument: 'ids', ids: unknown });
      }
      const closed = found.rows.filter((r) => r.resolution !== null);
      if (closed.length) {
        throw new ConflictError(
          `Rejected record(s) closed already: ${closed.map((r) => `${r.id} (${r.resolution})`).join(', ')}; nothing was dismissed`,
          { argument: 'ids', ids: closed.map((r) => r.id), resolutions: closed.map((r) => r.resolution) },
        );
      }
      await client.query(
        `UPDATE rejected_record SET resolved_at = now(), resolution = 'DISMISSED', resolved_by = $2, resolved_by_subject = $3, resolution_note = $4
          WHERE id = ANY($1::text[])`,
        [wanted, by, subject, note],
      );
    });
  }
}
