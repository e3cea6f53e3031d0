import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateHealthStationEntries, type HealthStationEntry } from '../../src/sample/sources/health-clinical.js';
import { FHIR_SYSTEMS } from '../../src/sample/sources/health-station.js';
import { startHealthStationSimulator, type HealthStationSimulator } from './simulator.js';

const SEED = 13;
const COUNT = 800;
const CLIENT = { id: 'hub', secret: 's3cret' };
const silent = pino({ level: 'silent' });
const generated = new Map<string, HealthStationEntry>([...generateHealthStationEntries({ seed: SEED, count: COUNT })].map((e) => [e.patient.id, e]));
const REVINCLUDE = '_revinclude=Immunization:patient&_revinclude=Observation:subject';

type Resource = Record<string, unknown> & { resourceType: string; id?: string };
interface Entry {
  fullUrl?: string;
  resource: Resource;
  search: { mode: string };
}
interface Bundle {
  resourceType: string;
  type: string;
  total: number;
  link: Array<{ relation: string; url: string }>;
  entry: Entry[];
}
interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function tokenRequest(sim: HealthStationSimulator, body: string, headers: Record<string, string>): Promise<Reply<Record<string, unknown>>> {
  const res = await fetch(sim.tokenUrl, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function accessToken(sim: HealthStationSimulator): Promise<string> {
  const basic = Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64');
  const res = await tokenRequest(sim, 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

async function fhirGet<T = Bundle>(url: string, token: string | null, timeoutMs = 5000): Promise<Reply<T>> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

const nextOf = (b: Bundle): string | undefined => b.link.find((l) => l.relation === 'next')?.url;
const matches = (b: Bundle): Resource[] => b.entry.filter((e) => e.search.mode === 'match').map((e) => e.resource);

/** Follows next links to the end, retrying 429/500 at once. */
async function readAll(sim: HealthStationSimulator, token: string, query: string): Promise<{ pages: Bundle[]; urls: string[] }> {
  const pages: Bundle[] = [];
  const urls: string[] = [];
  let url: string | undefined = `${sim.fhirBaseUrl}/Patient?${query}`;
  for (let guard = 0; url && guard < 10_000; guard++) {
    const res: Reply<Bundle> = await fhirGet(url, token);
    if (res.status === 429 || res.status === 500) continue;
    expect(res.status).toBe(200);
    pages.push(res.body);
    urls.push(url);
    url = nextOf(res.body);
  }
  return { pages, urls };
}

describe('health-station FHIR simulator', () => {
  let sim: HealthStationSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: CLIENT.id, clientSecret: CLIENT.secret, logger: silent, holdMs: 2000 });
    token = await accessToken(sim);
  });
  afterAll(async () => sim.close());
  afterEach(() => {
    sim.setFaults({});
  });

  describe('OAuth2 client credentials', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    it('issues bearer tokens to the client, authenticated by Basic or in the body', async () => {
      const res = await tokenRequest(sim, `grant_type=client_credentials&client_id=${CLIENT.id}&client_secret=${CLIENT.secret}&scope=system%2FPatient.read`, form);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'system/Patient.read' });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a wrong secret, another grant and a body that is not a form', async () => {
      const wrong = await tokenRequest(sim, `grant_type=client_credentials&client_id=${CLIENT.id}&client_secret=nope`, form);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      const grant = await tokenRequest(sim, `grant_type=password&client_id=${CLIENT.id}&client_secret=${CLIENT.secret}`, form);
      expect(grant.status).toBe(400);
      expect(grant.body.error).toBe('unsupported_grant_type');
      const json = await tokenRequest(sim, JSON.stringify({ grant_type: 'client_credentials' }), { 'content-type': 'application/json' });
      expect(json.status).toBe(400);
      expect(json.body.error).toBe('invalid_request');
    });

    it('answers a search without a token, or with an unknown one, with 401 and WWW-Authenticate', async () => {
      const none = await fhirGet<Resource>(`${sim.fhirBaseUrl}/Patient`, null);
      expect(none.status).toBe(401);
      expect(none.body.resourceType).toBe('OperationOutcome');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const bad = await fhirGet<Resource>(`${sim.fhirBaseUrl}/Patient`, 'forged');
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('expires tokens after tokenTtlSeconds', async () => {
      let now = 1_000_000;
      const short = await startHealthStationSimulator({ seed: SEED, count: 50, port: 0, clientId: CLIENT.id, clientSecret: CLIENT.secret, tokenTtlSeconds: 60, now: () => now, logger: silent });
      try {
        const t = await accessToken(short);
        expect((await fhirGet(`${short.fhirBaseUrl}/Patient`, t)).status).toBe(200);
        now += 60_000;
        const expired = await fhirGet<Resource>(`${short.fhirBaseUrl}/Patient`, t);
        expect(expired.status).toBe(401);
        expect(expired.headers.get('www-authenticate')).toContain('expired');
        expect((await fhirGet(`${short.fhirBaseUrl}/Patient`, await accessToken(short))).status).toBe(200);
      } finally {
        await short.close();
      }
    });

    it('serves its CapabilityStatement without a token, naming the token endpoint', async () => {
      const res = await fhirGet<Resource>(`${sim.fhirBaseUrl}/metadata`, null);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toContain(sim.tokenUrl);
    });
  });

  describe('search', () => {
    it('pages through every Patient exactly once, each with the resources that reference it', async () => {
      const { pages } = await readAll(sim, token, `_count=37&${REVINCLUDE}`);
      const seen: string[] = [];
      for (const page of pages) {
        expect(page).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: generated.size });
        const pagePatients = matches(page);
        expect(pagePatients.length).toBeLessThanOrEqual(37);
        const onPage = new Set(pagePatients.map((p) => p.id));
        for (const p of pagePatients) {
          seen.push(p.id!);
          expect(p).toEqual(generated.get(p.id!)!.patient);
        }
        const included = page.entry.filter((e) => e.search.mode === 'include').map((e) => e.resource);
        for (const r of included) {
          const ref = (r.resourceType === 'Immunization' ? (r.patient as { reference: string }) : (r.subject as { reference: string })).reference;
          expect(onPage.has(ref.replace('Patient/', ''))).toBe(true);
        }
        for (const id of onPage) {
          const { clinical } = generated.get(id!)!;
          const mine = included.filter((r) => JSON.stringify(r).includes(`"Patient/${id}"`));
          expect(mine).toEqual([...clinical.immunizations, ...clinical.observations]);
        }
        for (const e of page.entry) expect(e.fullUrl).toBe(`${sim.fhirBaseUrl}/${e.resource.resourceType}/${e.resource.id}`);
      }
      expect(seen).toHaveLength(generated.size);
      expect(new Set(seen)).toEqual(new Set(generated.keys()));
      const times = pages.flatMap(matches).map((p) => Date.parse((p.meta as { lastUpdated: string }).lastUpdated));
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    });

    it('includes only what _revinclude asks for', async () => {
      const patientsOnly = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=20`, token);
      expect(patientsOnly.body.entry.every((e) => e.resource.resourceType === 'Patient')).toBe(true);
      const immunizations = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=20&_revinclude=Immunization:patient`, token);
      expect(new Set(immunizations.body.entry.map((e) => e.resource.resourceType))).toEqual(new Set(['Patient', 'Immunization']));
    });

    it('filters on _lastUpdated (gt, and a range with lt)', async () => {
      const all = [...generated.values()].map((e) => e.patient.meta.lastUpdated).sort();
      const since = all[Math.floor(all.length * 0.7)]!;
      const until = all[Math.floor(all.length * 0.9)]!;
      const want = [...generated.values()].filter((e) => Date.parse(e.patient.meta.lastUpdated) > Date.parse(since)).map((e) => e.patient.id);
      const { pages } = await readAll(sim, token, `_lastUpdated=${encodeURIComponent(`gt${since}`)}&_count=40`);
      expect(new Set(pages.flatMap(matches).map((p) => p.id))).toEqual(new Set(want));
      expect(pages[0]!.total).toBe(want.length);
      const range = await readAll(sim, token, `_lastUpdated=${encodeURIComponent(`ge${since}`)}&_lastUpdated=${encodeURIComponent(`lt${until}`)}&_count=40`);
      for (const p of range.pages.flatMap(matches)) {
        const t = Date.parse((p.meta as { lastUpdated: string }).lastUpdated);
        expect(t >= Date.parse(since) && t < Date.parse(until)).toBe(true);
      }
    });

    it('refuses bad parameters and page tokens it did not issue', async () => {
      const noPrefix = await fhirGet<Resource>(`${sim.fhirBaseUrl}/Patient?_lastUpdated=2026-01-01`, token);
      expect(noPrefix.status).toBe(400);
      expect(noPrefix.body.resourceType).toBe('OperationOutcome');
      expect((await fhirGet(`${sim.fhirBaseUrl}/Patient?_revinclude=Encounter:patient`, token)).status).toBe(400);
      expect((await fhirGet(`${sim.fhirBaseUrl}?_getpages=abc.def`, token)).status).toBe(400);
      expect((await fhirGet(`${sim.fhirBaseUrl}`, token)).status).toBe(400);
    });

    it('is deterministic: a second simulator with the same seed serves the same page, and takes its next link', async () => {
      const twin = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: CLIENT.id, clientSecret: CLIENT.secret, logger: silent });
      try {
        const a = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=10&${REVINCLUDE}`, token);
        const b = await fhirGet(`${twin.fhirBaseUrl}/Patient?_count=10&${REVINCLUDE}`, await accessToken(twin));
        const strip = (bundle: Bundle): string => JSON.stringify(bundle).replaceAll(sim.url, '').replaceAll(twin.url, '');
        expect(strip(b.body)).toBe(strip(a.body));
        const next = nextOf(a.body)!.replace(sim.url, twin.url);
        expect((await fhirGet(next, await accessToken(twin))).status).toBe(200);
      } finally {
        await twin.close();
      }
    });
  });

  describe('faults', () => {
    it('rate-limits every Nth request with Retry-After', async () => {
      sim.setFaults({ rateLimitEvery: 2, retryAfterSeconds: 3 });
      const first = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=5`, token);
      const second = await fhirGet<Resource>(`${sim.fhirBaseUrl}/Patient?_count=5`, token);
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('3');
      expect(second.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
    });

    it('answers 500 at the error rate, the same sequence for the same seed', async () => {
      const run = async (): Promise<number[]> => {
        sim.setFaults({ errorRate: 0.5, seed: 3 });
        const out: number[] = [];
        for (let i = 0; i < 16; i++) out.push((await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=1`, token)).status);
        return out;
      };
      const first = await run();
      expect(new Set(first)).toEqual(new Set([200, 500]));
      expect(await run()).toEqual(first);
    });

    it('holds a request until the client gives up', async () => {
      sim.setFaults({ timeoutRate: 1 });
      await expect(fhirGet(`${sim.fhirBaseUrl}/Patient?_count=1`, token, 300)).rejects.toThrow();
      expect(sim.stats().injected.timeouts).toBeGreaterThan(0);
    });

    it('breaks some Patients the same way on every read, in the four ways a mapping rejects', async () => {
      sim.setFaults({ malformedRecordRate: 0.1 });
      const a = (await readAll(sim, token, '_count=100')).pages.flatMap(matches);
      const b = (await readAll(sim, token, '_count=70')).pages.flatMap(matches);
      expect(b).toEqual(a);
      const broken = a.filter((p) => typeof p.id !== 'string' || JSON.stringify(p) !== JSON.stringify(generated.get(p.id)!.patient));
      expect(broken.length / a.length).toBeGreaterThan(0.05);
      const kinds = new Set(
        broken.map((p) => (!('id' in p) ? 'id' : !['male', 'female'].includes(String(p.gender)) ? 'gender' : typeof p.birthDate === 'number' ? 'type' : String(p.birthDate).startsWith('31/02/') ? 'date' : '?')),
      );
      expect(kinds).toEqual(new Set(['id', 'gender', 'type', 'date']));
    });

    it('repeats pages without losing any, each time with a next link that leads on', async () => {
      sim.setFaults({ repeatPageRate: 0.3 });
      const { pages, urls } = await readAll(sim, token, '_count=50');
      const ids = pages.flatMap(matches).map((p) => p.id);
      expect(ids.length).toBeGreaterThan(generated.size);
      expect(new Set(ids)).toEqual(new Set(generated.keys()));
      expect(new Set(urls).size).toBe(urls.length);
    });

    it('shuffles Patients within pages while paging stays complete', async () => {
      const plain = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=60`, token);
      sim.setFaults({ reorderWithinPage: true });
      const shuffled = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=60`, token);
      expect(matches(shuffled.body).map((p) => p.id)).not.toEqual(matches(plain.body).map((p) => p.id));
      const ids = (await readAll(sim, token, '_count=60')).pages.flatMap(matches).map((p) => p.id);
      expect(ids).toHaveLength(generated.size);
      expect(new Set(ids)).toEqual(new Set(generated.keys()));
    });

    it('takes faults over HTTP', async () => {
      const res = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 1 }) });
      expect(res.status).toBe(200);
      expect((await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=1`, token)).status).toBe(500);
      const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { byStatus: Record<string, number>; tokensIssued: number };
      expect(stats.byStatus['500']).toBeGreaterThan(0);
      expect(stats.tokensIssued).toBeGreaterThan(0);
    });
  });

  describe('changes between syncs', () => {
    it('touch records a check-up, fills a missing number and moves the Patients past the high-water mark', async () => {
      const highWater = Math.max(...sim.patients().map((p) => Date.parse(p.meta.lastUpdated)));
      const { ids, updatedAt } = sim.touch(6);
      expect(Date.parse(updatedAt)).toBeGreaterThan(highWater);
      const since = new Date(highWater).toISOString();
      const { pages } = await readAll(sim, token, `_lastUpdated=gt${encodeURIComponent(since)}&${REVINCLUDE}`);
      const patients = pages.flatMap(matches);
      expect(new Set(patients.map((p) => p.id))).toEqual(new Set(ids));
      for (const p of patients) {
        expect((p.meta as { lastUpdated: string }).lastUpdated).toBe(updatedAt);
        const checkUps = pages.flatMap((b) => b.entry).filter((e) => e.resource.id === `${p.id}-K001`);
        expect(checkUps).toHaveLength(1);
        const before = generated.get(p.id!)!.patient;
        const hadNumber = before.identifier.some((i) => i.system === FHIR_SYSTEMS.personalNumber);
        const hasNumber = (p.identifier as Array<{ system: string }>).some((i) => i.system === FHIR_SYSTEMS.personalNumber);
        expect(hasNumber || !hadNumber).toBe(true);
      }
    });

    it('serves a Patient changed mid-run again at the end, and skips none', async () => {
      const first = await fhirGet(`${sim.fhirBaseUrl}/Patient?_count=100`, token);
      const { ids } = sim.touch(25);
      const rest: Bundle[] = [];
      let url = nextOf(first.body);
      while (url) {
        const page = await fhirGet(url, token);
        rest.push(page.body);
        url = nextOf(page.body);
      }
      const later = rest.flatMap(matches).map((p) => p.id);
      expect(new Set([...matches(first.body).map((p) => p.id), ...later])).toEqual(new Set(generated.keys()));
      for (const id of ids) expect(later).toContain(id);
    });
  });
});

describe('health-station FHIR simulator: new Patients', () => {
  let sim: HealthStationSimulator;
  let token: string;
  // The Patients of the children after the population's, with their clinical resources, as a larger population holds them.
  const later = [...generateHealthStationEntries({ seed: SEED, count: COUNT + 400, start: COUNT })];

  beforeAll(async () => {
    sim = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: CLIENT.id, clientSecret: CLIENT.secret, logger: silent });
    token = await accessToken(sim);
  });
  afterAll(async () => sim.close());

  it('adds the next children\'s Patients with their history past the high-water mark, where an incremental read finds exactly them', async () => {
    const highWater = Math.max(...sim.patients().map((p) => Date.parse(p.meta.lastUpdated)));
    // Child T0000912 has two records, the 111th and 112th: the first add brings the first, the second the other.
    const first = sim.add(111);
    const second = sim.add(21);
    expect(first.truthIds.at(-1)).toBe(second.truthIds[0]);
    const added = [...first.ids, ...second.ids];
    expect(added).toEqual(later.slice(0, 132).map((l) => l.patient.id));
    expect([...first.truthIds, ...second.truthIds]).toEqual(later.slice(0, 132).map((l) => l.truthId));
    expect(Date.parse(first.updatedAt)).toBeGreaterThan(highWater);
    expect(sim.recordCount).toBe(generated.size + 132);

    const { pages } = await readAll(sim, token, `_lastUpdated=gt${encodeURIComponent(new Date(highWater).toISOString())}&_count=50&${REVINCLUDE}`);
    const patients = pages.flatMap(matches);
    expect(new Set(patients.map((p) => p.id))).toEqual(new Set(added));
    expect(patients).toHaveLength(132);
    const included = new Map(pages.flatMap((b) => b.entry).filter((e) => e.search.mode === 'include').map((e) => [e.resource.id, e.resource]));
    for (const p of patients) {
      const entry = later.find((l) => l.patient.id === p.id)!;
      const updatedAt = first.ids.includes(p.id!) ? first.updatedAt : second.updatedAt;
      expect(p).toEqual({ ...entry.patient, meta: { lastUpdated: updatedAt } });
      // The same history as the child has in a larger population, even for the record whose sibling came later.
      for (const r of [...entry.clinical.immunizations, ...entry.clinical.observations]) expect(included.get(r.id)).toEqual(r);
    }
  });

  it('adds over HTTP, answering the ids, and counts the Patients added in its stats', async () => {
    const before = sim.stats().recordsAdded;
    const res = await fetch(new URL('/_sim/add?n=2', sim.url), { method: 'POST' });
    const body = (await res.json()) as { added: number; ids: string[]; truthIds: string[] };
    expect(body).toMatchObject({ added: 2, ids: later.slice(132, 134).map((l) => l.patient.id), truthIds: later.slice(132, 134).map((l) => l.truthId) });
    expect(sim.stats().recordsAdded).toBe(before + 2);
    expect((await fetch(new URL('/_sim/add?n=x', sim.url), { method: 'POST' })).status).toBe(400);
  });
});
