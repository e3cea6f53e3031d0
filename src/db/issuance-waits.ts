/**
 * Whether a child (the row `c`) still waits for the number its open issuance request asks for: it has none, or only
 * one the population database does not know or that cannot exist (NOT_FOUND). A child a source has given another
 * number waits no more: the request's polls stopped, and it is kept in case that number is dropped. QA: children with
 * a number were listed overdue; then (re-check) a child given a number that cannot exist dropped out of the overdue list.
 */
export const ISSUANCE_WAITS = `(c.identity_number IS NULL OR c.identity_status = 'NOT_FOUND')`;
