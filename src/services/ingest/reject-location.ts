/**
 * Where a rejected record came from, as kept in `rejected_record.location`: the record's own location
 * (`page 3 entry 17`, `khai-sinh.csv row 1043`) when it already names what its batch's location names (the
 * page, or the file and sheet before the batch's row range), else the two joined (`page 3, record 17`).
 * Readers give a record's full place, so joining it to its batch's wrote the page or file twice
 * (`page 30, page 30 entry 31`).
 */
export function rejectLocation(batchLocation: string | null | undefined, entryLocation: string | null | undefined): string | null {
  if (!entryLocation) return batchLocation || null;
  if (!batchLocation) return entryLocation;
  const source = batchSource(batchLocation);
  if (entryLocation === source || entryLocation.startsWith(`${source} `)) return entryLocation;
  return `${batchLocation}, ${entryLocation}`;
}

/** A file chunk's location without its rows (`rows 5001-10000`, `row 7`, `(no more rows)`): the file (and sheet). */
const ROW_RANGE = / (?:rows? \d+(?:-\d+)?|\(no more rows\))$/;

function batchSource(batchLocation: string): string {
  return batchLocation.replace(ROW_RANGE, '');
}
