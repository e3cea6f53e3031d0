/**
 * A loopback stand-in for the commune health stations' EHR as a FHIR R4 server, serving the synthetic
 * population: the Patients of `generateSourceRecords({ seed, count, sources: ['health-station'] })`
 * (variations and duplicate records included) with their Immunizations and Observations
 * (`src/sample/sources/health-clinical.ts`).
 *
 * Endpoints:
 * - `POST /oauth/token` — OAuth 2.0 client credentials (form-encoded; client by HTTP Basic or in the body);
 *   bearer tokens live `tokenTtlSeconds`.
 * - `GET /fhir/Patient?_lastUpdated=gt<instant>&_count=N&_revinclude=Immunization:patient&_revinclude=Observation:subject`
 *   — a `searchset` Bundle: the page's Patients (`search.mode: match`) then the resources that reference
 *   them (`search.mode: include`), `total` (matches of the search), and `link` `self` / `next`. The next link
 *   is `/fhir?_getpages=<opaque token>` (HAPI style); the token carries the search, so the link needs no other
 *   parameter. `_lastUpdated` takes `gt`, `ge`, `lt`, `le` (repeatable: a range); `_count` defaults to
 *   `pageSize` and is cut to `maxPageSize`; `_revinclude` also takes `Observation:patient`. Other
 *   parameters are ignored (FHIR lenient handling). Order: `meta.lastUpdated`, then id; paging is by the
 *   last key served, so a Patient changed mid-run moves to the end and is served again, nothing is skipped.
 *   As on a real FHIR server, `_lastUpdated` is the Patient's own: recording an Immunization does not change
 *   it (the simulator's `touch` does update the Patient).
 * - `GET /fhir/metadata` — a minimal CapabilityStatement (no token needed).
 * Errors are `OperationOutcome`s: 401 (no, unknown or expired token, with `WWW-Authenticate: Bearer`),
 * 400 (bad parameter or page token), 429 / 500 (injected).
 *
 * Plus the shared control endpoints (`/_sim/stats`, `/_sim/faults`, …), `POST /_sim/touch?n=10` (=
 * {@link HealthStationSimulator.touch}) and `POST /_sim/add?n=10` (= {@link HealthStationSimulator.add}).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { communeByCode } from '../../src/reference/admin-units.js';
import { forkRandom, hash32 } from '../../src/sample/random.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import { CLINICAL_SYSTEMS, healthClinicalResources, type FhirObservation } from '../../src/sample/sources/health-clinical.js';
import { FHIR_SYSTEMS, type HealthPatient } from '../../src/sample/sources/health-station.js';
import { formatHanoi, parseInstantMs } from '../../src/connectors/simulator/hanoi-time.js';
import { FaultInjector, type HttpFaults } from '../../src/connectors/simulator/http-faults.js';
import { KeysetIndex, type Key, type KeysetEntry } from '../../src/connectors/simulator/keyset-index.js';
import { jsonBytes } from '../../src/connectors/simulator/json-bytes.js';
import { OAuth2TokenEndpoint } from '../../src/connectors/simulator/oauth2-token-endpoint.js';
import { PageTokenCodec } from '../../src/connectors/simulator/page-token.js';
import { NewSourceRecords, populationChild } from '../../src/connectors/simulator/population-growth.js';
import { addSteadily, recordChangeRoutes, removeAtRandom, type AddResult, type RemoveResult, type SteadyAdditions, type TouchResult } from '../../src/connectors/simulator/record-changes.js';
import { startSimulatorServer, type RequestContext, type SimulatorHttpStats } from '../../src/connectors/simulator/simulator-server.js';

/** The port the health-station connector's definition points at by default (`HEALTH_STATION_FHIR_URL`). */
export const HEALTH_STATION_SIMULATOR_DEFAULT_PORT = 4101;
export const FHIR_BASE_PATH = '/fhir';
export const TOKEN_PATH = '/oauth/token';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const REVINCLUDES = { 'Immunization:patient': 'Immunization', 'Observation:subject': 'Observation', 'Observation:patient': 'Observation' } as const;
type Revinclude = keyof typeof REVINCLUDES;

export interface HealthStationSimulatorOptions {
  /** Seed of the synthetic population (use the hub sample's). @defaultValue 2026 */
  seed?: number;
  /** Population size: children 0 … count-1; about 97% have one record, 1% of those a second. @defaultValue 3000 */
  count?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port (read it from `url`). @defaultValue 4101 */
  port?: number;
  /** Client id the token endpoint accepts. @defaultValue 'health-station-simulator' */
  clientId?: string;
  /** Client secret the token endpoint accepts. @defaultValue 'health-station-simulator-secret' */
  clientSecret?: string;
  /** Lifetime of issued tokens (short values exercise the client's refresh). @defaultValue 3600 */
  tokenTtlSeconds?: number;
  /** Fault injection on the FHIR search (not on the token endpoint). @defaultValue none */
  faults?: HttpFaults;
  /** Patients per page when the search gives no `_count`. @defaultValue 50 */
  pageSize?: number;
  /** Largest `_count` honoured. @defaultValue 500 */
  maxPageSize?: number;
  /** How long a timeout fault holds a request. @defaultValue 120000 */
  holdMs?: number;
  /** The token clock (tests may move it). @defaultValue Date.now */
  now?: () => number;
  /** Add Patients at a steady rate while running (as {@link HealthStationSimulator.add}). @defaultValue none */
  addEvery?: SteadyAdditions;
  /** @defaultValue the hub's root logger */
  logger?: Logger;
}

export interface HealthStationSimulatorStats extends SimulatorHttpStats {
  pagesServed: number;
  patientsServed: number;
  includedServed: number;
  tokensIssued: number;
  tokenRequestsRefused: number;
  recordCount: number;
  /** Patients added by `add` since start (not zeroed by a stats reset). */
  recordsAdded: number;
  /** Patients changed by `touch` since start, counted per touch (not zeroed by a stats reset). */
  recordsTouched: number;
  buildMs: number;
}

export type { AddResult, TouchResult };

export interface HealthStationSimulator {
  /** The origin, e.g. `http://127.0.0.1:4101`. */
  url: string;
  /** `<url>/fhir`. */
  fhirBaseUrl: string;
  /** `<url>/oauth/token`. */
  tokenUrl: string;
  /** Patients held now (`add` adds to them). */
  readonly recordCount: number;
  stats(): HealthStationSimulatorStats;
  resetStats(): void;
  /** Replaces the faults (`{}` clears them) and returns those now in force. */
  setFaults(faults: HttpFaults): HttpFaults;
  /**
   * Changes `n` Patients as a station does between syncs: a check-up Observation is recorded and the personal
   * number added where it was missing; `meta.lastUpdated` moves past every existing value. Deterministic.
   * Returns the Patient ids changed.
   */
  touch(n: number): TouchResult;
  /**
   * Adds `n` Patients, as stations register new patients: the health-station records of the population's next
   * children (the same children, in the same order, as the other simulators add; see population-growth.ts),
   * with their Immunizations and Observations and `meta.lastUpdated` past every existing value. Returns their
   * ids and the children they are about. Deterministic.
   */
  add(n: number): AddResult;
  /** Removes `n` Patients and their clinical resources (`POST /_sim/remove?n=`): see `removals` in the connector definition. */
  remove(n: number): RemoveResult;
  /** The Patients as now held, in paging order (for tests). */
  patients(): HealthPatient[];
  /** Forgets every issued token (clients must fetch a new one). */
  revokeTokens(): void;
  close(): Promise<void>;
}

interface Held {
  patient: HealthPatient;
  childIndex: number;
  /** Which of the child's records this is (0, or 1 for the record at the station it moved to). */
  position: number;
}

/** A search and a position in it, as the `_getpages` token carries them. */
interface SearchState {
  v: 1;
  lo: [number, boolean] | null;
  hi: [number, boolean] | null;
  count: number;
  inc: Revinclude[];
  a: [number, string] | null;
  p: [number, string] | 'start' | null;
  r: number;
}

function isSearchState(v: unknown): v is SearchState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const key = (k: unknown): boolean => Array.isArray(k) && k.length === 2 && typeof k[0] === 'number' && typeof k[1] === 'string';
  const bound = (b: unknown): boolean => b === null || (Array.isArray(b) && b.length === 2 && typeof b[0] === 'number' && typeof b[1] === 'boolean');
  return (
    s.v === 1 && bound(s.lo) && bound(s.hi) && typeof s.count === 'number' && Array.isArray(s.inc) && s.inc.every((i) => typeof i === 'string' && i in REVINCLUDES) &&
    (s.a === null || key(s.a)) && (s.p === null || s.p === 'start' || key(s.p)) && typeof s.r === 'number'
  );
}

function outcome(code: string, diagnostics: string, severity: 'error' | 'fatal' = 'error'): Record<string, unknown> {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

const MALFORMED_VARIANTS = 4;

/** A broken copy of a Patient, the ways real exports break: each is rejected by the connector's mapping. */
function malform(patient: HealthPatient, variant: number): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...patient };
  const year = patient.birthDate.slice(0, 4);
  switch (variant) {
    case 0: // an impossible date, written the local way
      copy.birthDate = `31/02/${year}`;
      break;
    case 1: // a code outside FHIR's value set: the local label where the code belongs
      copy.gender = patient.gender === 'male' ? 'Nam' : 'Nữ';
      break;
    case 2: // no id
      delete copy.id;
      break;
    default: // wrong type: a date serialised as epoch milliseconds
      copy.birthDate = Date.UTC(Number(year), 0, 1);
  }
  return copy;
}

function uuidOf(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function stationName(patient: HealthPatient): string {
  const code = patient.address[0]?.extension.find((e) => e.url === FHIR_SYSTEMS.communeCode)?.valueCode;
  const unit = code ? communeByCode(code) : null;
  return unit ? `Trạm Y tế ${unit.communeName}` : 'Trạm Y tế';
}

/** Generates the population's health-station records and starts the server. Resolves once it listens. */
export async function startHealthStationSimulator(options: HealthStationSimulatorOptions = {}): Promise<HealthStationSimulator> {
  const {
    seed = 2026,
    count = 3000,
    clientId = 'health-station-simulator',
    clientSecret = 'health-station-simulator-secret',
    tokenTtlSeconds = 3600,
    pageSize = 50,
    maxPageSize = 500,
  } = options;
  if (!(pageSize >= 1 && pageSize <= maxPageSize)) throw new RangeError('pageSize must be between 1 and maxPageSize');

  const t0 = performance.now();
  const entries: Array<KeysetEntry<Held>> = [];
  /** The child's records as generated: the clinical generator needs all of them, unchanged. */
  const originals = new Map<number, HealthPatient[]>();
  for (const { record, truthId } of generateSourceRecords({ seed, count, sources: ['health-station'] })) {
    const patient = record.raw as HealthPatient;
    const childIndex = Number(truthId.slice(1)) - 1;
    const list = originals.get(childIndex) ?? [];
    list.push(patient);
    originals.set(childIndex, list);
    entries.push({ time: parseInstantMs(patient.meta.lastUpdated), id: patient.id, item: { patient, childIndex, position: list.length - 1 } });
  }
  const index = new KeysetIndex(entries);
  const buildMs = performance.now() - t0;

  const faults = new FaultInjector(options.faults, seed);
  const tokens = new OAuth2TokenEndpoint({
    clientId,
    clientSecret,
    ttlSeconds: tokenTtlSeconds,
    defaultScope: 'system/Patient.read system/Immunization.read system/Observation.read',
    now: options.now,
  });
  const pageTokens = new PageTokenCodec(seed, 'health-station');
  const newRecords = new NewSourceRecords(seed, count, 'health-station');
  /** Observations recorded by `touch`, by Patient id. */
  const recorded = new Map<string, FhirObservation[]>();
  let clock = index.maxTime;
  let touchCalls = 0;
  let removeCalls = 0;
  let recordsRemoved = 0;
  let recordsAdded = 0;
  let recordsTouched = 0;
  let pagesServed = 0;
  let patientsServed = 0;
  let includedServed = 0;

  /** Immunizations and Observations of the given Patients, generated per child once. */
  function clinicalOf(items: Held[]): Map<string, { immunizations: unknown[]; observations: unknown[] }> {
    const out = new Map<string, { immunizations: unknown[]; observations: unknown[] }>();
    const byChild = new Map<number, ReturnType<typeof healthClinicalResources>>();
    for (const item of items) {
      let clinical = byChild.get(item.childIndex);
      if (!clinical) {
        clinical = healthClinicalResources(seed, populationChild(seed, count, item.childIndex), originals.get(item.childIndex)!);
        byChild.set(item.childIndex, clinical);
      }
      const mine = clinical[item.position]!;
      out.set(item.patient.id, { immunizations: mine.immunizations, observations: [...mine.observations, ...(recorded.get(item.patient.id) ?? [])] });
    }
    return out;
  }

  function parseBound(text: string): { side: 'lo' | 'hi'; bound: [number, boolean] } | string {
    const m = /^(gt|ge|lt|le)(.+)$/.exec(text);
    if (!m) return '_lastUpdated needs a prefix gt, ge, lt or le (e.g. gt2026-10-01T00:00:00+07:00)';
    const ms = parseInstantMs(m[2]!);
    if (Number.isNaN(ms)) return '_lastUpdated is not a FHIR instant or date';
    const prefix = m[1]!;
    return { side: prefix.startsWith('g') ? 'lo' : 'hi', bound: [ms, prefix.endsWith('e')] };
  }

  /** The search a first request asks for, or the reason it is refused. */
  function parseSearch(q: URLSearchParams): SearchState | string {
    let lo: SearchState['lo'] = null;
    let hi: SearchState['hi'] = null;
    for (const value of q.getAll('_lastUpdated')) {
      const b = parseBound(value);
      if (typeof b === 'string') return b;
      if (b.side === 'lo') lo = b.bound;
      else hi = b.bound;
    }
    const countText = q.get('_count');
    const size = countText === null ? pageSize : Number(countText);
    if (!Number.isInteger(size) || size < 0) return '_count must be a non-negative integer';
    const inc: Revinclude[] = [];
    for (const value of q.getAll('_revinclude').flatMap((v) => v.split(','))) {
      const name = value.trim();
      if (!(name in REVINCLUDES)) return `_revinclude ${name} is not supported (Immunization:patient, Observation:subject, Observation:patient)`;
      if (!inc.includes(name as Revinclude)) inc.push(name as Revinclude);
    }
    return { v: 1, lo, hi, count: Math.min(size, maxPageSize), inc, a: null, p: null, r: 0 };
  }

  function search(ctx: RequestContext): void {
    const auth = tokens.verify(ctx.req.headers.authorization);
    if (!auth.ok) {
      const description = auth.reason === 'expired' ? 'The access token expired' : auth.reason === 'invalid' ? 'The access token is not valid' : 'A bearer token is required';
      const header = auth.reason === 'missing' ? 'Bearer realm="fhir"' : `Bearer realm="fhir", error="invalid_token", error_description="${description}"`;
      return ctx.sendJson(401, outcome('login', description), { 'www-authenticate': header }, FHIR_JSON);
    }
    const { handled, repeatPage } = ctx.injectFault();
    if (handled) return;

    const q = ctx.url.searchParams;
    const pageToken = q.get('_getpages');
    if (pageToken === null && ctx.url.pathname === FHIR_BASE_PATH) {
      return ctx.sendJson(400, outcome('not-supported', 'Search across all resource types is not supported; search /fhir/Patient'), {}, FHIR_JSON);
    }
    let state: SearchState;
    if (pageToken !== null) {
      const decoded = pageTokens.decode(pageToken);
      if (!isSearchState(decoded)) return ctx.sendJson(400, outcome('invalid', 'The page token was not issued by this server'), {}, FHIR_JSON);
      state = decoded;
    } else {
      const parsed = parseSearch(q);
      if (typeof parsed === 'string') return ctx.sendJson(400, outcome(parsed.includes('not supported') ? 'not-supported' : 'invalid', parsed), {}, FHIR_JSON);
      state = parsed;
    }

    const rangeStart = state.lo ? index.positionAfterTime(state.lo[0], state.lo[1]) : 0;
    const rangeEnd = Math.max(rangeStart, state.hi ? index.positionAfterTime(state.hi[0], !state.hi[1]) : index.size);
    const after = (k: [number, string]): number => Math.max(rangeStart, index.positionAfter({ time: k[0], id: k[1] }));
    let from: number;
    let next: SearchState | null = null;
    let repeated = false;
    if (repeatPage && state.a !== null && state.p !== null) {
      repeated = true;
      faults.countRepeat();
      from = state.p === 'start' ? rangeStart : after(state.p);
      next = { ...state, r: state.r + 1 };
    } else {
      from = state.a ? after(state.a) : rangeStart;
    }
    const to = Math.min(rangeEnd, from + state.count);
    if (!repeated && to < rangeEnd && to > from) {
      const last: Key = index.at(to - 1)!;
      next = { ...state, a: [last.time, last.id], p: state.a ?? 'start', r: 0 };
    }

    const items: Held[] = [];
    for (let i = from; i < to; i++) items.push(index.at(i)!.item);
    const base = `${ctx.origin}${FHIR_BASE_PATH}`;
    const matches = items.map((item) => {
      const variant = faults.malformedVariant(item.patient.id, MALFORMED_VARIANTS);
      const resource = variant === null ? item.patient : malform(item.patient, variant);
      return 'id' in resource ? { fullUrl: `${base}/Patient/${item.patient.id}`, resource, search: { mode: 'match' } } : { resource, search: { mode: 'match' } };
    });
    faults.reorder(matches, pageToken ?? ctx.url.search);
    const includes: unknown[] = [];
    if (state.inc.length > 0) {
      const wantImmunizations = state.inc.includes('Immunization:patient');
      const wantObservations = state.inc.some((i) => REVINCLUDES[i] === 'Observation');
      for (const [, clinical] of clinicalOf(items)) {
        const resources = [...(wantImmunizations ? clinical.immunizations : []), ...(wantObservations ? clinical.observations : [])] as Array<{ resourceType: string; id: string }>;
        for (const r of resources) includes.push({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'include' } });
      }
    }
    pagesServed++;
    patientsServed += matches.length;
    includedServed += includes.length;

    const self = `${ctx.origin}${ctx.url.pathname}${ctx.url.search}`;
    const link: Array<{ relation: string; url: string }> = [{ relation: 'self', url: self }];
    if (next) link.push({ relation: 'next', url: `${base}?_getpages=${encodeURIComponent(pageTokens.encode(next))}&_bundletype=searchset` });
    const bundle = {
      resourceType: 'Bundle',
      id: uuidOf(`${seed}:${JSON.stringify(state)}:${from}`),
      meta: { lastUpdated: formatHanoi(clock) },
      type: 'searchset',
      total: rangeEnd - rangeStart,
      link,
      entry: [...matches, ...includes],
    };
    ctx.send(200, jsonBytes(bundle), FHIR_JSON);
  }

  async function token(ctx: RequestContext): Promise<void> {
    const answer = tokens.token(ctx.req.headers['content-type'], ctx.req.headers.authorization, await ctx.readBody());
    ctx.sendJson(answer.status, answer.body, answer.headers);
  }

  function metadata(ctx: RequestContext): void {
    ctx.sendJson(
      200,
      {
        resourceType: 'CapabilityStatement',
        status: 'active',
        date: formatHanoi(clock),
        kind: 'instance',
        fhirVersion: '4.0.1',
        format: ['application/fhir+json'],
        rest: [
          {
            mode: 'server',
            security: {
              service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }],
              extension: [
                { url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: `${ctx.origin}${TOKEN_PATH}` }] },
              ],
            },
            resource: [
              {
                type: 'Patient',
                interaction: [{ code: 'search-type' }],
                searchParam: [{ name: '_lastUpdated', type: 'date' }],
                searchRevInclude: Object.keys(REVINCLUDES),
              },
            ],
          },
        ],
      },
      {},
      FHIR_JSON,
    );
  }

  function touch(n: number): TouchResult {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
    const call = touchCalls++;
    const rnd = forkRandom(hash32(seed, 0x746368), call);
    clock += 60_000;
    const updatedAt = formatHanoi(clock);
    const chosen = new Set<string>();
    const want = Math.min(n, index.size);
    while (chosen.size < want) chosen.add(index.at(rnd.int(0, index.size - 1))!.id);
    for (const id of chosen) {
      const { item } = index.get(id)!;
      const patient = structuredClone(item.patient);
      patient.meta.lastUpdated = updatedAt;
      const child = populationChild(seed, count, item.childIndex);
      if (child.identityNumber && !patient.identifier.some((i) => i.system === FHIR_SYSTEMS.personalNumber)) {
        patient.identifier.splice(1, 0, { system: FHIR_SYSTEMS.personalNumber, value: child.identityNumber });
      }
      const list = recorded.get(id) ?? [];
      list.push({
        resourceType: 'Observation',
        id: `${id}-K${String(call + 1).padStart(3, '0')}`,
        meta: { lastUpdated: updatedAt },
        status: 'final',
        category: [
          { coding: [{ system: CLINICAL_SYSTEMS.observationCategory, code: 'exam' }] },
          { coding: [{ system: CLINICAL_SYSTEMS.screeningKind, code: 'KHAM_DINH_KY' }] },
        ],
        code: { coding: [{ system: CLINICAL_SYSTEMS.screening, code: 'KSKDK', display: 'Khám sức khỏe định kỳ' }], text: 'Khám sức khỏe định kỳ' },
        subject: { reference: `Patient/${id}` },
        effectiveDateTime: updatedAt.slice(0, 10),
        performer: [{ display: stationName(patient) }],
        valueCodeableConcept: { coding: [], text: 'Sức khỏe bình thường' },
        interpretation: [{ coding: [{ system: CLINICAL_SYSTEMS.interpretation, code: 'N' }], text: 'Bình thường' }],
      });
      recorded.set(id, list);
      index.update(id, clock, { ...item, patient });
    }
    recordsTouched += chosen.size;
    return { ids: [...chosen], updatedAt };
  }

  /**
   * Removes `n` Patients chosen at random (the same ones for a seed and call), with their clinical resources, as a
   * health station deletes a record created in error or a merged duplicate: a full read no longer returns them.
   */
  function remove(n: number): RemoveResult {
    const removed = removeAtRandom(index, forkRandom(hash32(seed, 0x72656d), removeCalls++), n);
    for (const id of removed.ids) recorded.delete(id);
    recordsRemoved += removed.ids.length;
    return removed;
  }

  function add(n: number): AddResult {
    const added = newRecords.take(n);
    clock += 60_000;
    const updatedAt = formatHanoi(clock);
    for (const { record, child, position, ofChild } of added) {
      // The clinical history is generated from the child's records as generated (both, when the child has a
      // second record that a later add brings), as for the population's own Patients.
      if (!originals.has(child.index)) originals.set(child.index, ofChild.map((r) => r.raw as HealthPatient));
      const patient = structuredClone(record.raw as HealthPatient);
      patient.meta.lastUpdated = updatedAt;
      index.insert({ time: clock, id: patient.id, item: { patient, childIndex: child.index, position } });
    }
    recordsAdded += added.length;
    return { ids: added.map((a) => a.record.externalId), truthIds: added.map((a) => a.child.truthId), updatedAt };
  }

  const server = await startSimulatorServer({
    name: 'health-station-simulator',
    host: options.host,
    port: options.port ?? HEALTH_STATION_SIMULATOR_DEFAULT_PORT,
    faults,
    holdMs: options.holdMs,
    logger: options.logger,
    routes: [
      { method: 'POST', path: TOKEN_PATH, handle: token },
      { method: 'GET', path: `${FHIR_BASE_PATH}/Patient`, handle: search },
      // Next links: `/fhir?_getpages=…`
      { method: 'GET', path: FHIR_BASE_PATH, handle: search },
      { method: 'GET', path: `${FHIR_BASE_PATH}/metadata`, handle: metadata },
    ],
    controlRoutes: recordChangeRoutes({ touch, add, remove }),
    extraStats: () => ({
      pagesServed,
      patientsServed,
      includedServed,
      tokensIssued: tokens.issued,
      tokenRequestsRefused: tokens.refused,
      recordCount: index.size,
      recordsAdded,
      recordsTouched,
      recordsRemoved,
      buildMs: Math.round(buildMs),
    }),
    onResetStats: () => {
      pagesServed = 0;
      patientsServed = 0;
      includedServed = 0;
      tokens.issued = 0;
      tokens.refused = 0;
    },
    faultBody: (status) => ({
      contentType: FHIR_JSON,
      body: JSON.stringify(status === 429 ? outcome('throttled', 'Too many requests; retry later') : outcome('exception', 'Hệ thống đang bận, vui lòng thử lại sau', 'fatal')),
    }),
  });
  // Debug: whoever started it says where it listens, with what to set (the CLI's `simulate`, the demo's banner).
  server.log.debug({ url: server.url, count, records: index.size, buildMs: Math.round(buildMs) }, 'health-station FHIR simulator listening');
  const steady = options.addEvery ? addSteadily(add, options.addEvery, server.log) : null;

  return {
    url: server.url,
    fhirBaseUrl: `${server.url}${FHIR_BASE_PATH}`,
    tokenUrl: `${server.url}${TOKEN_PATH}`,
    get recordCount() {
      return index.size;
    },
    stats: server.stats,
    resetStats: server.resetStats,
    setFaults: (f) => faults.set(f),
    touch,
    add,
    remove,
    patients: () => Array.from({ length: index.size }, (_, i) => index.at(i)!.item.patient),
    revokeTokens: () => tokens.revokeAll(),
    close: async () => {
      steady?.stop();
      await server.close();
    },
  };
}
