/**
 * The version of the hub's mapping rules: what a definition's `records` section gives for a raw record. Bump
 * it (to the date of the change) whenever a change to the mapping code can give another result for a record
 * the rules before mapped (a parse, a comparison, a test, a record refused or no longer refused). It is part of
 * every connector's mapping hash: after an upgrade, each connector's next sync reads its source whole again,
 * so the records stored under the older rules take the new ones, and their content hashes (over the mapping
 * hash) no longer call them unchanged.
 *
 * 2026-12-05: `equals: true/false` on a value that reads as neither yes nor no is a problem, not false.
 * 2026-12-06: a text field read from an XLSX date cell is flagged TEXT_FROM_DATE_CELL.
 * 2026-12-07: an identity number given as text of 10 or 11 digits that begins with a province code once its zeros
 *   are back is flagged IDENTITY_NUMBER_ZEROS_LOST.
 * 2026-12-07.2: a projection's date or a group's `since`/`until` known only to its month or year carries that
 *   precision (`…Precision`) instead of passing for the first day.
 * 2026-12-07.3: a commune read with `firstOf` takes the first choice that resolves to a 2025 commune (a facility's
 *   `Mã xã`, then its `Xã/phường`); inspections keep the facility facts their records state.
 * 2026-12-07.4: a whole number followed by the word for what it counts (`40 trẻ`, `35 cháu`) reads as the number; a
 *   `firstOf` element's own `formats` or `codeSet` are how that element is read.
 * 2026-12-08: a path filter may say `!=`, `v|w` and `&` (text that a filter read as a key or value before); with
 *   `match: reference`, a related record referring to a Bundle entry's `fullUrl` (`urn:uuid:…`) is attached.
 * 2026-12-09: `parse: name` reads what a register writes when a name is not known (`Không rõ`, `KXĐ`, `-`) as no name;
 *   a group's `whenGone: end` is kept with its evidence.
 */
export const MAPPING_RULES_VERSION = '2026-12-09';
