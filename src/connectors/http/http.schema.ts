import { z } from 'zod';
import { envRefSchema, secretRefSchema, settingSchema } from '../definition/env-ref.js';
import { optionalPathKey } from '../mapping/mapping-columns.js';
import { pathProblem } from '../paths.js';
import { parseTemplate } from './page-records.js';

/**
 * The `http` section of a `kind: http` connector definition (docs/connectors.md#kind-http). Every option
 * carries a description: `z.toJSONSchema(httpConfigSchema, { io: 'input' })` is what editors show.
 */

const setting = (description: string) => settingSchema.describe(`${description} A literal, or { env: NAME, default?: "…" }.`);
const secret = (description: string) => secretRefSchema.describe(`${description} Only { env: NAME }: literal secrets are refused.`);

/** Words of a name (`X-Api-Key` → x, api, key; `pageToken` → page, token). */
const wordsOf = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/** Words before `token` that make it a paging token, not a credential (`pageToken`, `$skipToken`, `next_token`). */
const PAGING = new Set(['page', 'pagination', 'next', 'skip', 'delta', 'continuation', 'cursor', 'sync', 'resume', 'resumption', 'start', 'after', 'before', 'since', 'offset', 'max', 'min']);
/** Words before `key` that make it a credential (`X-Api-Key`, `access_key`), not a sort, cache or partition key. */
const KEY_KINDS = new Set(['x', 'api', 'access', 'awsaccess', 'secret', 'private', 'subscription', 'client', 'auth', 'app', 'application', 'master', 'license', 'shared', 'signing', 'session', 'consumer', 'developer', 'partner', 'user', 'functions', 'hapi']);
/** Names that are credentials whatever comes before them. */
const CREDENTIAL_NOUNS = new Set(['authorization', 'auth', 'cookie', 'apikey', 'password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'credential', 'credentials',
  'signature', 'sig', 'jwt', 'assertion', 'sid', 'matkhau', 'bimat']);
/** First words of a flag about a credential, not the credential (`has_signature`, `use_auth`). */
const FLAG_WORDS = new Set(['has', 'is', 'use', 'with', 'require', 'requires', 'include', 'enable', 'enabled', 'no']);

/** Whether one word, perhaps joined (`accesstoken`, `privatekey`, `JSESSIONID`), names a credential, with the word before it. */
function credentialWord(w: string, before: string): boolean {
  if (CREDENTIAL_NOUNS.has(w) || /(?:secret|password|passwd|passphrase|apikey|accesskeyid|bimat|matkhau)$/.test(w) || /sess(?:ion)?id$/.test(w)) return true;
  if (w === 'khau' && before === 'mat') return true; // mật khẩu: password
  if (w === 'mat' && before === 'bi') return true; // (mã, khóa) bí mật: secret (QA: `ma_bi_mat` was taken as a literal)
  const token = /^(\w*?)tokens?$/.exec(w);
  if (token) return !PAGING.has(token[1] || before);
  const key = /^(\w*?)keys?$/.exec(w);
  if (key) return key[1] ? KEY_KINDS.has(key[1]) : (before === '' && w === 'key') || KEY_KINDS.has(before);
  return false;
}

/**
 * Whether a header or query parameter name carries credentials, so its value is a secret: only `{ env: NAME }` (no
 * default) is taken, as for `auth` (QA: `Authorization: "Bearer …"` and `api_key: "…"` written in the file passed).
 * Judged by the name's last word, the thing it names (`X-Auth-Token`, `client_secret`, `X-Api-Key`, `key` alone as
 * Google's APIs use it), so that a paging token (`pageToken`), a sort or cache key (`sort_key`, `X-Cache-Key`), a type
 * (`token_type`) or a flag (`has_signature`) stay ordinary (QA); a trailing `value`/`id` or digits are passed over
 * (`X-Api-Key-Value`, `X-Session-Id`, `x-api-key2`).
 */
export function isCredentialName(name: string): boolean {
  const words = wordsOf(name).map((w) => w.replace(/\d+$/, '')).filter(Boolean);
  if (words.includes('jwt')) return true;
  if (FLAG_WORDS.has(words[0] ?? '') && words.length > 1) return false;
  while (words.length > 1 && ['value', 'id', 'string'].includes(words[words.length - 1]!)) {
    if (words[words.length - 1] === 'id' && words[words.length - 2] === 'session') return true;
    words.pop();
  }
  const noun = words[words.length - 1];
  return noun !== undefined && credentialWord(noun, words[words.length - 2] ?? '');
}

// ---------------------------------------------------------------------------------------------------------
// The same rule for the JSON Schema, which takes no code: a pattern (no flags, so every letter of a word is written in
// both cases) built from the word lists above, so the two cannot drift. A test holds it to isCredentialName.

/** `word` in any letter case. */
const anyCase = (word: string) => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
const SEP = '[^A-Za-z0-9]';
/** Where one word ends and the next starts inside a name written in camel case (`pageToken`). */
const CAMEL = '(?<=[a-z0-9])(?=[A-Z])';
const BREAK = `(?:${SEP}+|${CAMEL})`;
/** Where a word starts (as a position of the name). */
const START = `(?:^|(?<=${SEP})|${CAMEL})`;
/** Where a word ends, after its digits. */
const WORD_END = `(?:(?=${SEP}|$)|${CAMEL})`;
/**
 * A word of `words`, as {@link wordsOf} splits names: upper-case letters then lower-case ones (`Key`, `KEY`, `key`;
 * not `kEy`, which is two words). Each casing is spelt out, so the pattern needs no flags.
 */
const exactly = (words: Iterable<string>) =>
  `(?:${[...words].flatMap((w) => [...Array(w.length + 1).keys()].map((k) => w.slice(0, k).toUpperCase() + w.slice(k))).join('|')})`;
/** A word ending with one of `words` (`privatekey`, `XAPIKEY`), the part before included. */
const endingWith = (words: Iterable<string>) =>
  `(?:${[...words].flatMap((w) => [`[A-Z]*[a-z0-9]*${w}`, ...[...Array(w.length).keys()].map((k) => `[A-Z]*${w.slice(0, k + 1).toUpperCase()}${w.slice(k + 1)}`)]).join('|')})`;
/** The word before is one of `words`. */
const after = (words: Iterable<string>) => `(?<=(?:^|${SEP}|${CAMEL})${exactly(words)}[0-9]*${BREAK})`;
/** What may follow the name's last word: its digits, then words passed over (`-Value`, `_id`, `String`). */
const TAIL = `[0-9]*(?:${BREAK}${exactly(['value', 'id', 'string'])}?[0-9]*)*$`;
const TOKEN = ['token', 'tokens'];
const KEY = ['key', 'keys'];

/**
 * {@link isCredentialName} as a JSON Schema pattern (ECMAScript, searched in the name): a credential-named header or
 * query parameter takes only `{ env: NAME }` in editors too. Built from the same word lists; it differs from the code
 * only on names no one writes (a digit-only word between two others, `api_2_key`).
 */
export const CREDENTIAL_NAME_PATTERN = ((): string => {
  const last = [
    exactly(CREDENTIAL_NOUNS),
    endingWith(['secret', 'password', 'passwd', 'passphrase', 'apikey', 'accesskeyid', 'bimat', 'matkhau', 'sessid', 'sessionid']),
    `${after(['mat'])}${exactly(['khau'])}`,
    `${after(['bi'])}${exactly(['mat'])}`,
    // `accesstoken`: a token whose first part is not paging's; `token` alone, after a word that is not paging's.
    // (A paging word and `token` written as two words are told apart by the camel case rule, which the word
    // that follows reads as one only when it is one: so the two lists are spelt apart, not each pair of them.)
    `(?!${exactly(PAGING)}${exactly(TOKEN)}${WORD_END})(?!${exactly(TOKEN)}${WORD_END})${endingWith(TOKEN)}`,
    `(?<!(?:^|${SEP}|${CAMEL})${exactly(PAGING)}[0-9]*${BREAK})${exactly(TOKEN)}`,
    `${exactly(KEY_KINDS)}${exactly(KEY)}`,
    `${after(KEY_KINDS)}${exactly(KEY)}`,
    `${after(['session'])}${exactly(['id'])}`,
  ].map((word) => `${START}${word}${TAIL}`);
  const keyAlone = `^${SEP}*${exactly(['key'])}${TAIL}`;
  const flagFirst = `${SEP}*${exactly(FLAG_WORDS)}[0-9]*${BREAK}.*[A-Za-z]`;
  return `${START}${exactly(['jwt'])}[0-9]*${WORD_END}|^(?!${flagFirst}).*(?:${[...last, keyAlone].join('|')})`;
})();

/** A header value that is itself a credential (`Bearer …`, `Basic …`, an AWS or Azure signature), whatever the header's name. */
const CREDENTIAL_VALUE_SCHEMES = ['bearer', 'basic', 'digest', 'token', 'apikey', 'oauth', 'negotiate', 'sharedaccesssignature', 'aws4-hmac-sha256'];
const CREDENTIAL_VALUE = new RegExp(`^\\s*(?:${CREDENTIAL_VALUE_SCHEMES.join('|')})[\\s:]+\\S`, 'i');
/** The same for the JSON Schema, whose patterns take no flags. */
const CREDENTIAL_VALUE_PATTERN = `^\\s*(?:${CREDENTIAL_VALUE_SCHEMES.map(anyCase).join('|')})[\\s:]+\\S`;

/** The literal (or default) a setting writes in the file, if any. */
const writtenOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { default?: unknown }).default === 'string' ? (v as { default: string }).default : undefined;

/** Refuses a literal (or a default) under a credential-carrying name, without repeating the value. */
const noLiteralCredentials = (what: 'header' | 'query parameter') => (values: Record<string, unknown>, ctx: z.RefinementCtx) => {
  for (const [name, value] of Object.entries(values)) {
    const written = writtenOf(value);
    const byName = isCredentialName(name);
    if (!byName && !(what === 'header' && written !== undefined && CREDENTIAL_VALUE.test(written))) continue;
    if (typeof value === 'object' && value !== null && !('default' in value)) continue;
    // Told by what gave it away: the name, or a value written as a credential (QA: `X-Trace: "Bearer abc"` was told
    // as a header whose name carries credentials). The scheme word is the engineer's own text, not the secret.
    const why = byName
      ? `a ${what} that carries credentials (${name})`
      : `the value of header ${name} is written as a credential (it starts with ${written!.trim().split(/[\s:]/)[0]}), so it`;
    ctx.addIssue({
      code: 'custom', path: [name],
      message: `${why} must be a reference to an environment variable, { env: NAME }, with no default: literal values are refused (set the variable where the hub runs)`,
    });
  }
};

/** The credential-named parameters of a URL's (or path's) query string, written literally. */
function credentialsInQuery(url: string): string[] {
  // The fragment is never sent (QA: `#?api_key=` was refused).
  const sent = url.split('#')[0]!;
  const q = sent.indexOf('?');
  if (q < 0) return [];
  // `;` separates parameters too for some servers.
  // A name escaped twice (`api%255Fkey`) as a server that decodes twice reads it.
  return [...new URLSearchParams(sent.slice(q + 1).replace(/;/g, '&')).keys()].map(decodedName).filter(isCredentialName);
}

/** A credential-named parameter of a URL's path: its name as a server reads it, and as written up to its value (`%3Bsid=`). */
interface PathCredential {
  name: string;
  shown: string;
}

/**
 * The credential-named parameters of a URL's (or path's) path segments (`/x;api_key=…/records`, matrix parameters some
 * servers read), written literally (QA: `;api_key=` and `;access_token=` in a base URL's path were sent, and quoted in
 * the error of the refused request).
 */
function credentialsInPath(url: string): PathCredential[] {
  const sent = url.split(/[?#]/)[0]!;
  const found: PathCredential[] = [];
  for (const segment of sent.split(/[/\\]/)) {
    // `;` and `=` also as a server that decodes the path before reading its parameters takes them (`%3Bjsessionid=`), whatever
    // else the segment holds (QA: an invalid escape beside it kept the whole segment undecoded). Split keeping each separator
    // as written, to name the parameter so (QA: `%3Bsid=` was named `;sid=`).
    // Escaped twice too (`%253Bsid%253D`), as a server (or a proxy before it) that decodes twice reads it (QA).
    const parts = segment.split(/(;|%(?:25)?3b)/i);
    for (let i = 1; i < parts.length; i += 2) {
      const param = parts[i + 1]!;
      const eq = /=|%(?:25)?3d/i.exec(param);
      // A parameter without a value carries no credential (QA: `;sid` alone was refused).
      if (!eq || eq.index + eq[0].length === param.length) continue;
      const written = param.slice(0, eq.index);
      // Spaces decoded from escapes are no part of the name either (QA: `%3B%20token%20=` was advised as ` token `).
      const name = decodedName(written.trim()).trim();
      if (name && isCredentialName(name)) found.push({ name, shown: `${parts[i]}${written}${eq[0]}` });
    }
  }
  return found;
}

/** A parameter's name as a server reads it: decoded where it can be, escape by escape, and again while escapes remain (`%2573id`). */
function decodedName(raw: string): string {
  let name = raw;
  for (let i = 0; i < 3; i++) {
    const next = decodedOnce(name);
    if (next === name) break;
    name = next;
  }
  return name;
}

function decodedOnce(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * A credential-named parameter's name when it is a plain one (letters, digits, `_`, `-`, `.`, `~`; at most 64), to be
 * repeated in a message and in the advice; undefined for any other, which may hold what it should not (QA:
 * `;token:SECRET777=1` was named, its text in run history).
 */
function plainName(name: string): string | undefined {
  return /^[A-Za-z0-9._~-]{1,64}$/.test(name) ? name : undefined;
}

/** What a message says in place of a name that is not a plain one ({@link plainName}). */
const UNNAMED = 'a parameter named like a credential: its name is not repeated';

/** A path parameter that names a server's session (`;jsessionid=`, `;sid=`): told as a session id, not an API key (QA). */
const isSessionId = (name: string) => /^(?:(?:j|php|asp\.net_)?sess(?:ion)?(?:_?id)?|sid)$/i.test(name);

/**
 * What to write instead of a credential-named query parameter `name` of a URL: the settings as they are spelt
 * (QA: "apiKey with in: query" was followed, and refused as an unknown setting).
 */
/** What to write instead of credentials in a URL: for a credential-named parameter `name`, and for a user and password. */
interface CredentialAdvice {
  parameter: (name: string) => string;
  userinfo: string;
}
const queryCredentialAdvice: CredentialAdvice = {
  parameter: (name) => `use auth: { type: apiKey, query: ${name}, value: { env: NAME } }, or request.params: { ${name}: { env: NAME } }`,
  userinfo: 'use auth (basic, bearer, apiKey or oauth2ClientCredentials) with { env: NAME }',
};
/** The same for the token endpoint, whose credentials are the client's own settings. */
export const tokenUrlCredentialAdvice: CredentialAdvice = {
  parameter: () => 'give the client\'s credentials as clientId and clientSecret: { env: NAME }',
  // (QA: a token URL's user was told to use oauth2ClientCredentials, which it is part of.)
  userinfo: 'give the client\'s credentials as clientId and clientSecret: { env: NAME }',
};

/**
 * What is wrong with a URL that carries credentials: `user:password@`, a session id, or a credential-named query
 * parameter (each as a message that never repeats the value), or none. For a URL written in the file, and for one
 * taken from the environment when the sync reads it (QA: a base URL's variable with `user:password@` was sent to the
 * source as Basic credentials).
 */
export function urlCredentialProblems(written: string, advice: CredentialAdvice = queryCredentialAdvice): string[] {
  const problems: string[] = [];
  // As a URL parser reads it (one slash, backslashes, spaces and tabs included: QA), not only as written.
  let parsed: URL | undefined;
  try {
    parsed = new URL(written.trim());
  } catch {
    parsed = undefined;
  }
  // (A backslash ends the host as a slash does: `http://host\\path@x` has no user, QA.)
  if (parsed?.username || parsed?.password || /^[a-z][a-z0-9+.-]*:\/\/[^/\\?#]*@/i.test(written)) {
    problems.push(`must not carry a user or password (user:password@host): ${advice.userinfo}`);
  }
  const inPath = credentialsInPath(written);
  const inQuery = credentialsInQuery(written);
  // A server's session, in the path or the query, is told as one, by the name written: no setting takes it (QA: `?PHPSESSID=`
  // was told to use an API key; every session id was called `;jsessionid=`).
  const sessionInPath = inPath.find((p) => isSessionId(p.name));
  const sessionInQuery = inQuery.find(isSessionId);
  const sessionShown = sessionInPath !== undefined ? sessionInPath.shown : sessionInQuery !== undefined ? `${sessionInQuery}=` : null;
  if (sessionShown !== null) problems.push(`must not carry a session id (${sessionShown}): use auth with { env: NAME }`);
  for (const name of inQuery) {
    if (!isSessionId(name)) problems.push(`must not carry credentials in its query string (${plainName(name) ?? UNNAMED}): ${advice.parameter(plainName(name) ?? '<name>')}`);
  }
  for (const { name, shown } of inPath) {
    if (!isSessionId(name)) problems.push(`must not carry credentials in its path (${plainName(name) ? shown : UNNAMED}): ${advice.parameter(plainName(name) ?? '<name>')}`);
  }
  return problems;
}

/** Refuses credentials in a URL written in the file ({@link urlCredentialProblems}). */
const noCredentialsInUrlWith = (advice: CredentialAdvice) => (v: string | { default?: string | undefined }, ctx: z.RefinementCtx) => {
  const written = typeof v === 'string' ? v : v.default;
  if (written === undefined) return;
  // The messages never repeat the value.
  for (const message of urlCredentialProblems(written, advice)) ctx.addIssue({ code: 'custom', message });
};
const noCredentialsInUrl = noCredentialsInUrlWith(queryCredentialAdvice);

/** A header's value: text (a number or true/false, sent as written), or { env: NAME }. */
/** Header text that is no credential (for the JSON Schema: the rule is {@link noLiteralCredentials}'). */
const headerText = z.string().meta({ not: { pattern: CREDENTIAL_VALUE_PATTERN } });
const headerValueSchema = z.union([headerText, z.number(), z.boolean(), envRefSchema.extend({ default: headerText.optional() })], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be text, a number or { env: NAME, default?: "…" }' : undefined),
});

const nonEmpty = z.string().min(1);
const positiveInt = z.number().int().positive();
const paramName = (description: string) => nonEmpty.describe(description);
/**
 * A path in a response body or a record (docs/connectors.md#paths), checked with the parser the reader uses,
 * so a definition that validates has no path the reader could fail to compile.
 */
const bodyPath = (description: string) =>
  nonEmpty
    .superRefine((p, ctx) => {
      const problem = pathProblem(p, false);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
/**
 * A duration in ms. Each has a maximum well below what a timer can hold (2^31 − 1 ms, about 24.8 days: Node
 * fires a longer one at once, so every request would time out or every retry come without waiting).
 */
const durationMs = (max: number, maxText: string) => positiveInt.max(max, `must be at most ${max} (${maxText})`);

// ---------------------------------------------------------------------------------------------------------
// Authentication

const apiKeyAuthSchema = z
  .object({
    type: z.literal('apiKey').describe('An API key sent in a header or a query parameter.'),
    header: paramName('Header carrying the key (e.g. X-Api-Key). Give `header` or `query`, not both.').optional(),
    query: paramName('Query parameter carrying the key (e.g. api_key). Give `header` or `query`, not both.').optional(),
    value: secret('The API key.'),
  })
  .strict()
  .refine((a) => (a.header === undefined) !== (a.query === undefined), {
    message: 'apiKey needs exactly one of `header` or `query`',
  })
  .meta({ oneOf: [{ required: ['header'] }, { required: ['query'] }] })
  .describe('API key authentication.');

const basicAuthSchema = z
  .object({
    type: z.literal('basic').describe('HTTP Basic authentication (RFC 7617).'),
    username: setting('User name.'),
    password: secret('Password.'),
  })
  .strict()
  .describe('HTTP Basic authentication.');

const bearerAuthSchema = z
  .object({
    type: z.literal('bearer').describe('A fixed bearer token sent as `Authorization: Bearer …`.'),
    token: secret('The token.'),
  })
  .strict()
  .describe('A fixed bearer token.');

const oauth2ClientCredentialsSchema = z
  .object({
    type: z.literal('oauth2ClientCredentials').describe('OAuth 2.0 client-credentials grant (RFC 6749 §4.4).'),
    tokenUrl: setting('Token endpoint (absolute URL); no credentials in it (user:password@ or the query string).').superRefine(noCredentialsInUrlWith(tokenUrlCredentialAdvice)),
    clientId: setting('Client identifier.'),
    clientSecret: secret('Client secret.'),
    scope: setting('Space-separated scopes to request (sent as `scope`).').optional(),
    audience: setting('Audience to request (sent as `audience`; some providers need it).').optional(),
    clientAuthentication: z
      .enum(['basic', 'body'])
      .default('basic')
      .describe(
        'How the client authenticates to the token endpoint: `basic` (HTTP Basic, RFC 6749 §2.3.1) or `body` (client_id and client_secret in the form body).',
      ),
  })
  .strict()
  .describe('OAuth 2.0 client credentials; the token is cached until 30 s before it expires, and refreshed once on a 401.');

export const httpAuthSchema = z
  .discriminatedUnion('type', [apiKeyAuthSchema, basicAuthSchema, bearerAuthSchema, oauth2ClientCredentialsSchema])
  .describe('How to authenticate: apiKey, basic, bearer or oauth2ClientCredentials.');
export type HttpAuthConfig = z.infer<typeof httpAuthSchema>;
export type OAuth2ClientCredentialsConfig = z.infer<typeof oauth2ClientCredentialsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Request

const queryValueSchema = z
  .union([z.string(), z.number(), z.boolean(), envRefSchema])
  .describe('A query parameter value: a literal or { env: NAME, default?: "…" }.');

/** What a secret is in the JSON Schema: a credential-named header or query parameter takes only this. */
const SECRET_REF_JSON = (({ $schema: _, ...json }) => json)(z.toJSONSchema(secretRefSchema, { io: 'input' }) as Record<string, unknown>);

const requestSchema = z
  .object({
    path: nonEmpty.superRefine(noCredentialsInUrl).describe('Path of the collection, relative to baseUrl (e.g. /api/v1/hoc-sinh); no credentials in its query string.'),
    params: z
      .record(nonEmpty, queryValueSchema)
      .default({})
      .superRefine(noLiteralCredentials('query parameter'))
      .meta({ patternProperties: { [CREDENTIAL_NAME_PATTERN]: SECRET_REF_JSON } })
      .describe('Fixed query parameters sent with the first request of every run (e.g. { nam_hoc: "2026-2027" }). '
        + 'A parameter named like a credential (api_key, token, secret, password, signature…) only as { env: NAME }.'),
    headers: z
      .record(nonEmpty, headerValueSchema)
      .default({})
      .superRefine(noLiteralCredentials('header'))
      .meta({ patternProperties: { [CREDENTIAL_NAME_PATTERN]: SECRET_REF_JSON } })
      .describe('Extra request headers (e.g. { Accept: application/json }); values are literals or { env: NAME }. '
        + 'Authorization, Cookie and headers named like a credential (X-Api-Key, X-Auth-Token…) only as { env: NAME }.'),
  })
  .strict()
  .describe('The request that reads the collection.');

// ---------------------------------------------------------------------------------------------------------
// Include

const includeSchema = z
  .object({
    path: bodyPath('Path to the related records in the same response body (all matches are taken).'),
    key: bodyPath('Path in each related record to the value that links it to a record (e.g. patient.reference).'),
    equals: nonEmpty
      .superRefine((template, ctx) => {
        try {
          parseTemplate(template);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: `${(e as Error).message} (\`{{\` and \`}}\` write a brace)` });
        }
      })
      .describe('Template the key must equal, with {path} placeholders read from the record (e.g. "Patient/{id}").'),
    match: z
      .enum(['exact', 'reference'])
      .default('exact')
      .describe(
        'How the key and the template compare. exact (default): as written. reference: as the FHIR references they write, ' +
          'so an absolute one (https://ehr.example/fhir/Patient/123) and a versioned one (Patient/123/_history/3) equal Patient/123.',
      ),
  })
  .strict()
  .describe('Related records attached to each record under `_include.<name>` as an array.');

// ---------------------------------------------------------------------------------------------------------
// Pagination


const pagePaginationSchema = z
  .object({
    type: z.literal('page').describe('Numbered pages. A page with fewer records than `size` is the last one.'),
    pageParam: paramName('Query parameter carrying the page number.').default('page'),
    sizeParam: paramName('Query parameter carrying the page size.').default('size'),
    size: positiveInt
      .default(500)
      .describe('Records per page asked for. The run goes on until a page comes back empty: a server whose own maximum is lower sends shorter pages, and they are all read.'),
    firstPage: z.number().int().nonnegative().default(1).describe('Number of the first page (0 or 1).'),
  })
  .strict();

const offsetPaginationSchema = z
  .object({
    type: z.literal('offset').describe('Offset and limit. A page with fewer records than `limit` is the last one.'),
    offsetParam: paramName('Query parameter carrying the offset (0 first).').default('offset'),
    limitParam: paramName('Query parameter carrying the page size.').default('limit'),
    limit: positiveInt
      .default(500)
      .describe('Records per page asked for. The run goes on until a page comes back empty: a server whose own maximum is lower sends shorter pages, and they are all read.'),
  })
  .strict();

const cursorPaginationSchema = z
  .object({
    type: z.literal('cursor').describe('An opaque cursor read from each body and sent back; no cursor ends the run.'),
    cursorParam: paramName('Query parameter carrying the cursor of the next page.'),
    cursorPath: bodyPath('Path in the body to the next cursor (e.g. next_cursor); absent, null or "" on the last page.'),
    sizeParam: paramName('Query parameter carrying the page size, if the API takes one.').optional(),
    size: positiveInt.describe('Page size sent in `sizeParam`.').optional(),
  })
  .strict()
  .refine((c) => (c.sizeParam === undefined) === (c.size === undefined), {
    message: '`sizeParam` and `size` go together',
  })
  .meta({ dependentRequired: { sizeParam: ['size'], size: ['sizeParam'] } });

const nextLinkPaginationSchema = z
  .object({
    type: z.literal('nextLink').describe('The URL of the next page, read from the body (absolute or relative).'),
    path: bodyPath('Path in the body to the next page URL; the default reads a FHIR Bundle.').default('link[relation=next].url'),
  })
  .strict();

const linkHeaderPaginationSchema = z
  .object({ type: z.literal('linkHeader').describe('The URL of the next page in the RFC 8288 `Link: <…>; rel="next"` header.') })
  .strict();

const noPaginationSchema = z.object({ type: z.literal('none').describe('One response holds every record.') }).strict();

export const paginationSchema = z
  .discriminatedUnion('type', [
    pagePaginationSchema,
    offsetPaginationSchema,
    cursorPaginationSchema,
    nextLinkPaginationSchema,
    linkHeaderPaginationSchema,
    noPaginationSchema,
  ])
  .describe('How to reach the next page: page, offset, cursor, nextLink, linkHeader or none. Any empty page ends the run.');
export type PaginationConfig = z.infer<typeof paginationSchema>;

// ---------------------------------------------------------------------------------------------------------
// Incremental reads

/** ISO 8601 duration: `P1D`, `PT10M`, `P1DT12H`, `PT0.5S`, `P2W`. */
export const ISO_DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const incrementalSchema = z
  .object({
    param: paramName('Query parameter carrying the lower bound of the last-modified time (e.g. updated_since).'),
    cursorField: bodyPath('Path in each record to its last-modified time (e.g. ngay_cap_nhat, meta.lastUpdated).'),
    lookback: z
      .string()
      .regex(ISO_DURATION, 'must be an ISO 8601 duration such as PT10M or P1D')
      .default('PT0S')
      .describe(
        'ISO 8601 duration re-read behind the high-water mark (e.g. PT10M); default PT0S. Give the longest delay between the ' +
          'time a source stamps a change and the time it can be read (a long transaction): a few minutes for most systems; ' +
          'more if the source sends no Date header and its clock may run behind the hub\'s (at least the difference).',
      ),
    format: z
      .enum(['iso', 'date', 'fhir'])
      .default('iso')
      .describe(
        'How the lower bound is written: iso (2026-11-25T10:00:00+07:00), date (2026-11-25) or fhir (gt2026-11-25T10:00:00+07:00).',
      ),
  })
  .strict()
  .describe('Read only records changed since the last completed run (minus the lookback).');
export type IncrementalConfig = z.infer<typeof incrementalSchema>;

// ---------------------------------------------------------------------------------------------------------
// Retry

const retrySchema = z
  .object({
    maxAttempts: positiveInt
      .max(20)
      .default(6)
      .describe('Attempts per request, the first included, before the sync fails.'),
    initialDelayMs: durationMs(10 * MINUTE, '10 minutes')
      .default(500)
      .describe('Backoff before the first retry (doubled each time, full jitter), in ms; at most 600000 (10 minutes).'),
    maxDelayMs: durationMs(60 * MINUTE, '1 hour')
      .default(30_000)
      .describe('Longest wait between attempts, a Retry-After included, in ms; at most 3600000 (1 hour): a server asking for longer fails the sync at once.'),
  })
  .strict()
  .describe('Retries on 429, 5xx, timeouts and connection errors.');

// ---------------------------------------------------------------------------------------------------------
// Page limits
//
// A sync holds a page's body, its parsed records and what it makes of them while it stores them, and the next
// page's body arrives meanwhile; all of it within the production heap of 512 MB (README: Docker). QA: one page of
// 200 MB (190,000 records), or of 115 MB holding 2 million small records, ran a sync out of memory.
// Measured peaks at the defaults and the ceilings are in docs/connectors.md#kind-http.

/** 32 MiB: a page of a thousand FHIR resources with their includes is a few MB. */
export const DEFAULT_MAX_PAGE_BYTES = 32 * 1024 * 1024;
export const PAGE_BYTES_CEILING = 64 * 1024 * 1024;
/** Ten times the largest page size APIs commonly allow. */
export const DEFAULT_MAX_PAGE_RECORDS = 10_000;
export const PAGE_RECORDS_CEILING = 50_000;

export const httpConfigSchema = z
  .object({
    baseUrl: setting('Base URL of the source API (e.g. http://127.0.0.1:4102 or https://fhir.example/fhir); never with credentials in it (user:password@, or a query parameter named like one): use auth.')
      .superRefine(noCredentialsInUrl),
    auth: httpAuthSchema.optional(),
    request: requestSchema,
    records: bodyPath('Path to the records in the response body (e.g. data, or entry[resource.resourceType=Patient].resource).'),
    include: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier'), includeSchema)
      .optional()
      .describe('Related records in the same body, attached to each record under `_include.<name>`.'),
    pagination: paginationSchema,
    incremental: incrementalSchema.optional(),
    timeoutMs: durationMs(10 * MINUTE, '10 minutes')
      .default(15_000)
      .describe('Timeout of each request, from connect to the last byte, in ms; at most 600000 (10 minutes).'),
    requestsPerSecond: z
      .number()
      .min(0.001, 'must be at least 0.001 (one request every 1000 s)')
      .default(10)
      .describe('Request budget for this connector: at most this many requests in any one second, retries and token requests included '
        + '(spaced 1/rate apart and 2% more, from when each really left); at least 0.001, one request every 1000 s.'),
    retry: retrySchema.default({ maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 30_000 }),
    maxPageBytes: positiveInt
      .max(PAGE_BYTES_CEILING, `must be at most ${PAGE_BYTES_CEILING} (64 MiB)`)
      .default(DEFAULT_MAX_PAGE_BYTES)
      .describe(
        `The most bytes a page's body may hold, decompressed; default ${DEFAULT_MAX_PAGE_BYTES} (32 MiB), at most ${PAGE_BYTES_CEILING} (64 MiB). ` +
          'A larger page is refused as it arrives and fails the sync: ask for fewer records a page instead. A page and the next one, ' +
          'read while it is stored, must fit a sync\'s memory.',
      ),
    optionalPaths: z
      .array(z.string().trim().min(1))
      .default([])
      .describe(
        'Paths the mapping reads that the API may leave out of every record of a page (a field it omits when empty, ' +
          'which a whole page may lack). A page in which no record has a path the mapping reads for a record field (the ' +
          'key absent; null is had) is otherwise held, and the sync fails (CONNECTOR_MAPPING_UNREAD), when records of the ' +
          'page were stored before with a value in that field (on a page under 10 records, all of them; a page of one is ' +
          'never held): stored, they would lose it (a misspelt path); groups\' and projections\' paths likewise (see ' +
          'docs/connectors.md). A path listed here is stored empty, told in the log at info level. Written as in the mapping; ' +
          'a path within a projection\'s each as `each » path`; an entry the mappings do not read, or listed twice, is refused. Default none.',
      )
      .meta({ uniqueItems: true }),
    maxPageRecords: positiveInt
      .max(PAGE_RECORDS_CEILING, `must be at most ${PAGE_RECORDS_CEILING}`)
      .default(DEFAULT_MAX_PAGE_RECORDS)
      .describe(
        `The most entries a page's records may count; default ${DEFAULT_MAX_PAGE_RECORDS}, at most ${PAGE_RECORDS_CEILING}. A page with more ` +
          'fails the sync before any of it is stored: ask for fewer records a page instead (APIs page at 100 to 1000).',
      ),
  })
  .strict()
  .describe('An HTTP/JSON source (kind: http).');

export type HttpConfig = z.infer<typeof httpConfigSchema>;
/** The section as written, before defaults are filled in. */
export type HttpConfigInput = z.input<typeof httpConfigSchema>;
