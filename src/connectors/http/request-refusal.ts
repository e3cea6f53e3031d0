import { ConnectorRequestRefusedError } from './errors/connector-request-refused-error.js';
import type { HttpRequest, HttpResponse } from './http-transport.js';
import { describeRequest, describeUrl, shownPath } from './url-description.js';

/** RFC 6749 §5.2 error codes: a fixed vocabulary, safe to repeat. */
const OAUTH_ERRORS = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'invalid_token', 'insufficient_scope', 'access_denied', 'server_error', 'temporarily_unavailable',
]);

/** FHIR R4 IssueType codes (OperationOutcome.issue.code): a fixed vocabulary, safe to repeat. */
const FHIR_ISSUE_TYPES = new Set([
  'invalid', 'structure', 'required', 'value', 'invariant', 'security', 'login', 'unknown', 'expired', 'forbidden',
  'suppressed', 'processing', 'not-supported', 'duplicate', 'multiple-matches', 'not-found', 'deleted', 'too-long',
  'code-invalid', 'extension', 'too-costly', 'business-rule', 'conflict', 'transient', 'lock-error', 'no-store',
  'exception', 'timeout', 'incomplete', 'throttled', 'informational',
]);

/**
 * The reason a server gave for refusing, as far as it can be repeated without leaking: the reason phrase,
 * and an OAuth error code or FHIR issue type when the body carries one. Free-text messages are never
 * taken: servers quote the offending input (a name, a number) in them.
 */
export function refusalReason(response: HttpResponse): string {
  const parts = [`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`];
  const code = codedReason(response.text);
  if (code) parts.push(`(${code})`);
  return parts.join(' ');
}

function codedReason(text: string): string | undefined {
  if (text.length === 0 || text.length > 65_536) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b['error'] === 'string' && OAUTH_ERRORS.has(b['error'])) return b['error'];
  if (b['resourceType'] === 'OperationOutcome' && Array.isArray(b['issue'])) {
    const issue = b['issue'][0] as Record<string, unknown> | undefined;
    const type = issue?.['code'];
    if (typeof type === 'string' && FHIR_ISSUE_TYPES.has(type)) return type;
  }
  return undefined;
}

/**
 * The error for an answer that is neither success nor worth a retry: a 4xx, or a redirect. `hint` says
 * what to check (the credentials' variable, the request path); `page`, a read's page past the first, is named.
 */
export function requestRefused(request: HttpRequest, response: HttpResponse, hint: string, page?: number): ConnectorRequestRefusedError {
  const what = `${describeRequest(request.method, request.url, request.serverMade)}${page === undefined || page < 2 ? '' : ` (page ${page})`}`;
  const details = { method: request.method, path: shownPath(request.url, request.serverMade), status: response.status };
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers['location'];
    let to = '';
    if (location) {
      try {
        to = ` to ${describeUrl(new URL(location, request.url), undefined, '…', true)}`;
      } catch {
        to = '';
      }
    }
    return new ConnectorRequestRefusedError(
      `${what} was redirected${to} (${refusalReason(response)}); redirects are not followed: configure the final address`,
      details,
    );
  }
  return new ConnectorRequestRefusedError(`${what} was refused with ${refusalReason(response)}; ${hint}`, details);
}
