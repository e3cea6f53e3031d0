import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error.js';

/** The project root (the folder with package.json, from src/ or the compiled dist/src/), for default data folders. */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** A whole number from `min` to `max`, refused in the hub's words (QA: "expected int, received number"). */
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(min, { error: `must be ${min} or more` })
  .max(max, { error: `must be at most ${max}` });
const port = wholeNumber(1, 65535);
// In the hub's words (QA: `ISSUANCE_OVERDUE_DAYS=1.5` was told "expected int, received number").
const positiveInt = z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be 1 or more' });

/**
 * Every environment variable the hub reads, with its default. This is the only place `process.env` is
 * read for settings; the README's configuration table mirrors it.
 */
const envSchema = z.object({
  /** `development`, `test` or `production`. Production refuses dev signing keys. @defaultValue development */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** PostgreSQL URL. When unset the hub starts an embedded PostgreSQL under CHILDHUB_HOME. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Redis URL. When unset the hub starts a local `redis-server` under CHILDHUB_HOME. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Folder for embedded servers' data and dev keys. @defaultValue <project>/.childhub */
  CHILDHUB_HOME: z.string().min(1).default(path.join(PROJECT_ROOT, '.childhub')),
  /** Port of the embedded PostgreSQL (only when DATABASE_URL is unset). @defaultValue 54329 */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Port of the local redis-server (only when REDIS_URL is unset). @defaultValue 63799 */
  EMBEDDED_REDIS_PORT: port.default(63799),
  /** Install Debian's redis-server package when it is missing and the process runs as root. @defaultValue true */
  CHILDHUB_AUTO_INSTALL: bool.default(true),
  /**
   * Let this release's processes start against a database a newer release migrated (its migrations unknown here),
   * for the minutes of a rolling upgrade. @defaultValue false
   */
  CHILDHUB_ALLOW_NEWER_DATABASE: bool.default(false),
  /** HTTP listen host. @defaultValue 127.0.0.1 */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP listen port for the GraphQL gateway, health and metrics. @defaultValue 4000 */
  PORT: wholeNumber(0, 65535).default(4000),
  /** pino level. @defaultValue info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (production) or `pretty` (human). @defaultValue json */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Size of the PostgreSQL connection pool per process. @defaultValue 10 */
  DB_POOL_SIZE: positiveInt.default(10),
  /**
   * How long PostgreSQL lets one of the hub's connections sit in a transaction with nothing to do before it ends
   * the session, in ms (`idle_in_transaction_session_timeout`). No transaction of the hub waits that long on
   * anything but the database (the outbox relay's wait on Redis in its transaction has its own, shorter timeout);
   * one left open is a process frozen (SIGSTOP, a paused host) or cut off mid-transaction, whose
   * row and advisory locks would hold every job that needs the same rows until it wakes. @defaultValue 300000
   */
  DB_IDLE_IN_TRANSACTION_MS: positiveInt.default(300_000),
  /** Prefix of every BullMQ key; use a `{hashtag}` on Redis Cluster. @defaultValue childhub */
  QUEUE_PREFIX: z.string().min(1).default('childhub'),
  /** Jobs processed in parallel per queue by one worker process. @defaultValue 8 */
  WORKER_CONCURRENCY: positiveInt.default(8),
  /** How often the outbox relay polls when no notification arrives, in ms. @defaultValue 500 */
  OUTBOX_POLL_MS: positiveInt.default(500),
  /**
   * Days a relayed outbox row is kept (for an operator tracing a job back to its change), after which the relay
   * deletes it; 0 keeps them all. Rows not relayed yet are never deleted. @defaultValue 7
   */
  OUTBOX_RETENTION_DAYS: wholeNumber(0).default(7),
  /**
   * Days the payload of a quarantined record is kept once the record was stored, read again otherwise or no longer
   * sent (a reject closed `STORED`, `SUPERSEDED` or `NOT_SENT_AGAIN`); then the workers of the connector-sync queue erase it, keeping the row. Open and
   * dismissed rejects keep theirs. 0 keeps every payload. @defaultValue 30
   */
  REJECT_PAYLOAD_RETENTION_DAYS: wholeNumber(0).default(30),
  /** JWKS URL of the identity provider whose tokens the gateway accepts (production). */
  AUTH_JWKS_URL: z.url().optional(),
  /** PEM public key (SPKI) accepted for tokens, as an alternative to AUTH_JWKS_URL. */
  AUTH_PUBLIC_KEY: z.string().min(1).optional(),
  /** Expected `iss` claim. @defaultValue childhub-dev */
  AUTH_ISSUER: z.string().min(1).default('childhub-dev'),
  /** Expected `aud` claim. @defaultValue childhub */
  AUTH_AUDIENCE: z.string().min(1).default('childhub'),
  /** Longest a token may still be valid for, in hours: one expiring later is refused. @defaultValue 24 */
  AUTH_MAX_TOKEN_HOURS: positiveInt.default(24),
  /** Maximum depth of a GraphQL operation. @defaultValue 8 */
  GRAPHQL_MAX_DEPTH: positiveInt.default(8),
  /**
   * Most fields one GraphQL operation may make the gateway resolve, counting each list's items (a page its size,
   * another list 10): bounds what aliases can ask for. @defaultValue 200000
   */
  GRAPHQL_MAX_COST: positiveInt.default(200_000),
  /** Largest page a connection field returns (`first`). @defaultValue 100 */
  GRAPHQL_MAX_PAGE_SIZE: positiveInt.default(100),
  GRAPHQL_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  /** Serve the GraphQL sandbox page and allow introspection. @defaultValue true outside production */
  GRAPHQL_INTROSPECTION: bool.optional(),
  /** SOAP endpoint of the national population database (via NDXP/LGSP). Unset: identity jobs do not call out. */
  POPULATION_DB_URL: z.url().optional(),
  /** HTTP Basic user name issued by the data-exchange platform. */
  POPULATION_DB_USERNAME: z.string().min(1).optional(),
  /** Shared secret for the `SHA256(url + username + timestamp + secret)` signature. */
  POPULATION_DB_SECRET: z.string().min(1).optional(),
  /** API key sent in `X-Api-Key`. */
  POPULATION_DB_API_KEY: z.string().min(1).optional(),
  /** Caller (agency unit) code, `MaDonVi`. @defaultValue SLDTBXH-HN */
  POPULATION_DB_CALLER_CODE: z.string().min(1).default('SLDTBXH-HN'),
  /** Integration code issued by the platform, `MaTichHop`. @defaultValue CHILDHUB */
  POPULATION_DB_INTEGRATION_CODE: z.string().min(1).default('CHILDHUB'),
  /** The registry's quota in requests per second, enforced across every worker process. @defaultValue 20 */
  POPULATION_DB_QUOTA: z.coerce.number().positive().default(20),
  /**
   * Share of the quota the schedule leaves unused. The quota itself is enforced at admission (each call
   * counted from its admission until its answer), so this only leaves room for calls a stall bunched
   * together: they go out instead of being refused and rebooked. @defaultValue 0.02
   */
  POPULATION_DB_QUOTA_HEADROOM: z.coerce.number().min(0).max(0.5).default(0.02),
  /** After 5 s without a call, the pace restarts at half the quota and climbs to all of it over this long (0: off). */
  POPULATION_DB_WARMUP_MS: wholeNumber(0, 60_000).default(3000),
  /** Per-call timeout in ms. @defaultValue 10000 */
  POPULATION_DB_TIMEOUT_MS: positiveInt.default(10_000),
  /**
   * How the population database is reached: `soap` (SOAP 1.1 with Basic + signature, via NDXP or an LGSP
   * relaying SOAP) or `lgsp` (a provincial platform's JSON API with an OAuth 2.0 bearer token; POPULATION_DB_URL
   * is then the service's base URL). @defaultValue soap
   */
  POPULATION_DB_TRANSPORT: z.enum(['soap', 'lgsp']).default('soap'),
  /** `lgsp`: the platform's OAuth 2.0 token endpoint (client credentials grant). */
  POPULATION_DB_TOKEN_URL: z.url().optional(),
  /** `lgsp`: client id issued by the platform. */
  POPULATION_DB_CLIENT_ID: z.string().min(1).optional(),
  /** `lgsp`: client secret; sent only to the token endpoint. */
  POPULATION_DB_CLIENT_SECRET: z.string().min(1).optional(),
  /** `lgsp`: space-separated scopes to ask the token for. @defaultValue none (the platform's default) */
  POPULATION_DB_TOKEN_SCOPE: z.string().min(1).optional(),
  /** The officer in whose name background reconciliation calls are made (number and name). */
  POPULATION_DB_OFFICER_ID: z.string().min(1).default('CB-CHILDHUB-SYSTEM'),
  POPULATION_DB_OFFICER_NAME: z.string().min(1).default('Childhub reconciliation'),
  /** Unit of that officer. @defaultValue so-ldtbxh-ha-noi */
  POPULATION_DB_UNIT: z.string().min(1).default('so-ldtbxh-ha-noi'),
  /** Purpose code of background reconciliation. @defaultValue CHILD-ID-RECONCILIATION */
  POPULATION_DB_PURPOSE: z.string().min(1).default('CHILD-ID-RECONCILIATION'),
  /** Days after which a VERIFIED number is checked again. @defaultValue 180 */
  IDENTITY_REVERIFY_DAYS: positiveInt.default(180),
  /** Days after which a child still waiting for a number is flagged overdue. @defaultValue 7 */
  ISSUANCE_OVERDUE_DAYS: positiveInt.default(7),
  /** First wait between issuance polls in ms; it doubles each poll. @defaultValue 3600000 (1 h) */
  ISSUANCE_POLL_INITIAL_MS: positiveInt.default(3_600_000),
  /** Longest wait between issuance polls in ms. @defaultValue 86400000 (1 day) */
  ISSUANCE_POLL_MAX_MS: positiveInt.default(86_400_000),
  /**
   * How long a worker whose setup the population database refuses (HTTP 401/403/404/405) stops taking identity jobs,
   * in ms; it doubles at each refusal after a pause, up to 20 times this. @defaultValue 30000
   */
  REGISTRY_REFUSED_PAUSE_MS: positiveInt.default(30_000),
  /**
   * How long a worker holds a job before other workers may take it over as stalled (ms): a worker killed
   * mid-job has its jobs resumed elsewhere after about this long. @defaultValue 30000
   */
  WORKER_LOCK_MS: positiveInt.default(30_000),
  /**
   * How long `worker`, `serve` and `demo`, told to stop (SIGTERM, Ctrl-C, a closed terminal), wait for work in
   * flight (a worker's jobs, the gateway's requests) before exiting anyway with code 1, in ms. A job cut there
   * resumes on another (or the next) worker: a connector sync from its last checkpoint. At most 2147483647
   * (Node's longest timer, about 24.8 days; a longer one would fire at once). @defaultValue 30000
   */
  SHUTDOWN_GRACE_MS: positiveInt.max(2_147_483_647).default(30_000),
  /** Folder holding one sub-folder per connector (`<name>/connector.yaml`). @defaultValue `connectors/` of the project */
  CONNECTORS_DIR: z.string().min(1).optional(),
  /** Whether workers schedule connector syncs by each definition's `schedule`. @defaultValue true */
  CONNECTOR_SCHEDULES: bool.default(true),
  /**
   * How often a worker looks for connector definitions added, edited or removed, to update the schedules
   * (a sync always reads its definition as the file says when it starts). @defaultValue 30000
   */
  CONNECTORS_RELOAD_MS: positiveInt.default(30_000),
  /**
   * How long a running sync may go without a sign of life before a worker takes it for stuck, in ms. A sync
   * beats every sixth of it (also while it waits on a source's Retry-After); a worker (with the connector-sync
   * queue) that finds a run's last beat older than this closes the connections of the process holding it (a
   * process frozen, its host paused), and the run resumes from its checkpoint. Set it alike on every process.
   * @defaultValue 120000
   */
  CONNECTOR_STALL_MS: positiveInt.default(120_000),
});

export type Config = z.infer<typeof envSchema> & { GRAPHQL_INTROSPECTION: boolean };

/**
 * Parses the environment once into a typed, validated object. A bad value throws a ConfigError naming
 * the variable, so start-up stops with a message a person can act on.
 */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`, problems);
  }
  const c = result.data;
  if (c.NODE_ENV === 'production' && !c.AUTH_JWKS_URL && !c.AUTH_PUBLIC_KEY) {
    throw new ConfigError('Invalid configuration: AUTH_JWKS_URL or AUTH_PUBLIC_KEY is required in production', [
      'AUTH_JWKS_URL',
    ]);
  }
  if (c.ISSUANCE_POLL_INITIAL_MS > c.ISSUANCE_POLL_MAX_MS) {
    // QA: taken without a word; each poll's wait would have been the maximum, below the first.
    throw new ConfigError(
      `Invalid configuration: ISSUANCE_POLL_INITIAL_MS (${c.ISSUANCE_POLL_INITIAL_MS}) is more than ISSUANCE_POLL_MAX_MS (${c.ISSUANCE_POLL_MAX_MS}): the first wait between polls doubles up to the maximum`,
      ['ISSUANCE_POLL_INITIAL_MS'],
    );
  }
  return {
    ...c,
    CHILDHUB_HOME: path.resolve(c.CHILDHUB_HOME),
    GRAPHQL_INTROSPECTION: c.GRAPHQL_INTROSPECTION ?? c.NODE_ENV !== 'production',
  };
}

let cached: Config | undefined;
/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}
