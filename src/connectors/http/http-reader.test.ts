import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReadBatch } from '../types.js';
import { failureOf, harness, readAll, rows } from './testing/reader-harness.js';
import { MAX_RECORD_DEPTH } from './parse-json-bytes.js';
import { LONE_SURROGATE_MESSAGE } from '../../services/ingest/storable-text.js';

const BASE = 'http://source.test';
const PATH = '/api/records';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

const incremental = { param: 'updated_since', cursorField: 'ngay_cap_nhat', lookback: 'PT10M', format: 'iso' as const };

describe('HttpReader incremental reads', () => {
  it('a first run reads everything and carries the greatest last-modified value (compared as times)', async () => {
    const { reader, ctx } = harness({ incremental, pagination: { type: 'page', size: 2 } });
    nock(BASE)
      .get(PATH)
      .query({ page: '1', size: '2' })
      .reply(200, {
        data: [
          { id: '1', ngay_cap_nhat: '2026-11-25T10:00:00+07:00' },
          // 04:30Z is 11:30 in Hà Nội: later, although it sorts first as a string.
          { id: '2', ngay_cap_nhat: '2026-11-25T04:30:00Z' },
        ],
      });
    nock(BASE)
      .get(PATH)
      .query({ page: '2', size: '2' })
      .reply(200, { data: [{ id: '3', ngay_cap_nhat: '2026-11-25T11:00:00+07:00' }, { id: '4', ngay_cap_nhat: 'not a date' }] });
    nock(BASE).get(PATH).query({ page: '3', size: '2' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.position['highWater'])).toEqual([
      '2026-11-25T04:30:00Z',
      '2026-11-25T04:30:00Z',
      '2026-11-25T04:30:00Z',
    ]);
    expect(batches.every((b) => b.position['since'] === null)).toBe(true);
    expect(reader.complete(batches.at(-1)!.position, null)).toEqual({ highWater: '2026-11-25T04:30:00Z' });
  });

  it('the next run starts at high-water − lookback, in the offset the mark was written with', async () => {
    const { reader, ctx } = harness({ incremental });
    nock(BASE).get(PATH).query({ updated_since: '2026-11-25T09:50:00+07:00' }).reply(200, { data: rows(1, 1, '2026-11-25T12:00:00+07:00') });
    const batches = await readAll(reader, { highWater: '2026-11-25T10:00:00+07:00' }, ctx);
    expect(batches[0]!.position).toEqual({
      since: '2026-11-25T09:50:00+07:00',
      next: null,
      highWater: '2026-11-25T12:00:00+07:00',
      page: 1,
      upTo: '2026-11-26T02:59:59.000Z',
    });
  });

  it.each([
    ['date', 'P1D', '2026-11-25T01:30:00+07:00', '2026-11-24'],
    ['fhir', 'PT0S', '2026-11-25T10:00:00+07:00', 'gt2026-11-25T10:00:00+07:00'],
    ['fhir', 'PT1H', '2026-11-25T03:00:00.250Z', 'gt2026-11-25T02:00:00.250Z'],
    ['iso', 'PT10M', '2026-11-25 10:05:00', '2026-11-25T09:55:00+07:00'],
    ['iso', 'P1M', '2026-03-31', '2026-02-28T00:00:00+07:00'],
  ] as const)('format %s with lookback %s after %s sends %s', async (format, lookback, highWater, since) => {
    const { reader, ctx } = harness({ incremental: { ...incremental, format, lookback } });
    nock(BASE).get(PATH).query({ updated_since: since }).reply(200, { data: [] });
    await readAll(reader, { highWater }, ctx);
  });

  it('a run that finds nothing newer keeps the previous mark', async () => {
    const { reader, ctx } = harness({ incremental });
    nock(BASE).get(PATH).query(true).reply(200, { data: [] });
    const batches = await readAll(reader, { highWater: '2026-11-25T10:00:00+07:00' }, ctx);
    expect(batches[0]!.position['highWater']).toBe('2026-11-25T10:00:00+07:00');
    expect(reader.complete(batches[0]!.position, { highWater: '2026-11-25T10:00:00+07:00' })).toEqual({
      highWater: '2026-11-25T10:00:00+07:00',
    });
    expect(reader.complete(null, { highWater: '2026-11-25T10:00:00+07:00' })).toEqual({ highWater: '2026-11-25T10:00:00+07:00' });
    expect(reader.complete({ highWater: '2026-11-24T23:00:00Z' }, { highWater: '2026-11-25T05:00:00+07:00' })).toEqual({
      highWater: '2026-11-24T23:00:00Z',
    });
  });

  it('leaves a last-modified value later than the start of the run out of the high-water mark (QA: one record dated 2099 stopped every later run reading new ones)', async () => {
    const { reader, ctx, logs, clock } = harness({ incremental });
    const now = clock.now().getTime();
    const at = (ms: number) => new Date(ms).toISOString();
    nock(BASE)
      .get(PATH)
      .reply(200, {
        data: [
          { id: '1', ngay_cap_nhat: at(now - 60_000) },
          { id: '2', ngay_cap_nhat: '2099-01-01T00:00:00+07:00' },
          // A minute ahead: changed while the run read, or the source's clock a little fast: read again next run, not warned of.
          { id: '3', ngay_cap_nhat: at(now + 60_000) },
        ],
      });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.position['highWater']).toBe(at(now - 60_000));
    expect(batches[0]!.records).toHaveLength(3);
    expect(logs.filter((l) => l.includes('later than the start of this run'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('records changed while this run read'))).toHaveLength(1);
  });

  it('leaves changes made while the run paged out of the high-water mark, so that the next run reads a record changed on a page already read (QA: lost for good)', async () => {
    const { reader, ctx, clock } = harness({ incremental: { ...incremental, lookback: 'PT0S' }, pagination: { type: 'page', size: 1 } });
    const start = clock.now().getTime();
    const at = (ms: number) => new Date(ms).toISOString();
    // Pages in id order, as many APIs and FHIR servers give them: record 1 is changed after page 1 was read,
    // record 2 (page 2) later still, before its page is read.
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: [{ id: '1', ngay_cap_nhat: at(start - 3_600_000) }] });
    nock(BASE).get(PATH).query({ page: '2', size: '1' }).reply(200, { data: [{ id: '2', ngay_cap_nhat: at(start + 20_000) }] });
    nock(BASE).get(PATH).query({ page: '3', size: '1' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    const position = reader.complete(batches.at(-1)!.position, null);
    expect(position).toEqual({ highWater: at(start - 3_600_000) });
    // A second before the run started: a source stamping to the second gives a change made after the start the second
    // the run started in, which a mark of that second would never ask for again (QA: lost with `gt` and no lookback).
    expect(batches[0]!.position['upTo']).toBe(at(start - 1_000));
    // So a record stamped with the start's own second stays out of the mark: the next run (`gt` the mark) reads it.
    const seconds = harness({ incremental: { ...incremental, lookback: 'PT0S' } });
    const second = Math.floor(seconds.clock.now().getTime() / 1000) * 1000;
    nock(BASE).get(PATH).reply(200, { data: [{ id: '7', ngay_cap_nhat: at(second - 2_000) }, { id: '8', ngay_cap_nhat: at(second) }] });
    const [stamped] = await readAll(seconds.reader, null, seconds.ctx);
    expect(stamped!.position['highWater']).toBe(at(second - 2_000));
    // The source's clock, from its Date header, less the answer's time and a second: a source 10 minutes behind.
    const behind = harness({ incremental: { ...incremental, lookback: 'PT0S' } });
    const sourceNow = behind.clock.now().getTime() - 600_000;
    nock(BASE).get(PATH).reply(200, { data: [{ id: '1', ngay_cap_nhat: at(sourceNow - 5_000) }, { id: '2', ngay_cap_nhat: at(sourceNow + 3_000) }] }, { Date: new Date(sourceNow).toUTCString() });
    const [only] = await readAll(behind.reader, null, behind.ctx);
    expect(only!.position['highWater']).toBe(at(sourceNow - 5_000));
    expect(Date.parse(only!.position['upTo'] as string)).toBeLessThanOrEqual(sourceNow - 1_000);
    // A resumed run keeps its cut-off, however late it resumes (QA: resumed after the lookback, it lost a change
    // made meanwhile to a page read before the worker was killed).
    const paged = harness({ incremental, pagination: { type: 'page', size: 1 } });
    const cutOff = paged.clock.now().getTime();
    paged.clock.advance(3_600_000);
    const since = '2026-11-25T09:50:00+07:00';
    nock(BASE).get(PATH).query({ updated_since: since, page: '2', size: '1' }).reply(200, { data: [{ id: '3', ngay_cap_nhat: at(cutOff + 1_800_000) }] });
    nock(BASE).get(PATH).query({ updated_since: since, page: '3', size: '1' }).reply(200, { data: [] });
    const resumed = await readAll(paged.reader, { since, next: { params: { page: '2', size: '1' } }, highWater: null, page: 1, upTo: at(cutOff) }, paged.ctx);
    expect(resumed.map((b) => b.position['upTo'])).toEqual([at(cutOff), at(cutOff)]);
    expect(resumed.at(-1)!.position['highWater']).toBeNull();
  });

  it('drops a stored high-water mark that is in the future and reads from the beginning', async () => {
    const { reader, ctx, logs } = harness({ incremental });
    // No updated_since: a full read.
    nock(BASE).get(PATH).query({}).reply(200, { data: rows(1, 1) });
    const batches = await readAll(reader, { highWater: '2099-01-01T00:00:00+07:00' }, ctx);
    expect(batches[0]!.position['since']).toBeNull();
    expect(batches[0]!.position['highWater']).toBe('2026-11-25T10:00:00+07:00');
    expect(reader.complete(batches[0]!.position, { highWater: '2099-01-01T00:00:00+07:00' })).toEqual({ highWater: '2026-11-25T10:00:00+07:00' });
    expect(logs.some((l) => l.includes('the stored high-water mark is in the future'))).toBe(true);
  });

  it('warns when no record read has a value at the cursor field (every run would read everything)', async () => {
    const { reader, ctx, logs } = harness({ incremental: { ...incremental, cursorField: 'updatedAt' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 2) });
    await readAll(reader, null, ctx);
    expect(logs.filter((l) => l.includes('no record read had a value at incremental.cursorField'))).toHaveLength(1);
  });

  it('reads FHIR meta.lastUpdated as the cursor field', async () => {
    const { reader, ctx } = harness({
      records: 'entry[resource.resourceType=Patient].resource',
      incremental: { param: '_lastUpdated', cursorField: 'meta.lastUpdated', format: 'fhir' },
    });
    nock(BASE)
      .get(PATH)
      .reply(200, {
        resourceType: 'Bundle',
        entry: [
          { resource: { resourceType: 'Patient', id: 'a', meta: { lastUpdated: '2026-11-25T03:00:00.123+00:00' } } },
          { resource: { resourceType: 'Patient', id: 'b', meta: { lastUpdated: '2026-11-24T03:00:00+00:00' } } },
        ],
      });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.position['highWater']).toBe('2026-11-25T03:00:00.123+00:00');
    nock(BASE).get(PATH).query({ _lastUpdated: 'gt2026-11-25T03:00:00.123+00:00' }).reply(200, { resourceType: 'Bundle' });
    const next = await readAll(reader, reader.complete(batches[0]!.position, null), ctx);
    expect(next[0]!.records).toEqual([]);
  });
});

describe('HttpReader positions', () => {
  it('resumes a run exactly at the stored next page, with the same lower bound', async () => {
    const { reader, ctx } = harness({ incremental, pagination: { type: 'page', size: 2 } });
    const stored = {
      since: '2026-11-25T09:50:00+07:00',
      next: { params: { page: '3', size: '2' } },
      highWater: '2026-11-25T11:00:00+07:00',
      page: 2,
    };
    nock(BASE)
      .get(PATH)
      .query({ updated_since: '2026-11-25T09:50:00+07:00', page: '3', size: '2' })
      .reply(200, { data: rows(5, 1, '2026-11-25T10:30:00+07:00') });
    nock(BASE).get(PATH).query({ updated_since: '2026-11-25T09:50:00+07:00', page: '4', size: '2' }).reply(200, { data: [] });
    const batches = await readAll(reader, stored, ctx);
    expect(batches).toHaveLength(2);
    expect(batches[0]!.location).toBe('page 3');
    expect(batches[0]!.records[0]!.location).toBe('page 3 entry 1');
    expect(batches[1]!.position).toEqual({ since: stored.since, next: null, highWater: '2026-11-25T11:00:00+07:00', page: 4, upTo: '2026-11-25T02:50:00.000Z' });
  });

  it('resumes a server-given next link as stored', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'nextLink', path: 'next' } });
    nock(BASE).get('/api/records').query({ page_token: 'xyz' }).reply(200, { data: rows(1, 1) });
    const batches = await readAll(reader, { since: null, next: { url: `${BASE}/api/records?page_token=xyz` }, highWater: null, page: 7 }, ctx);
    expect(batches[0]!.location).toBe('page 8');
  });

  it('starts the read again from its first page, same window, when the checkpoint\'s link or cursor has expired (QA: every later run failed)', async () => {
    const { reader, ctx, logs } = harness({ incremental, pagination: { type: 'nextLink', path: 'next' } });
    const stored = { since: '2026-11-25T09:50:00+07:00', next: { url: `${BASE}/api/records?_getpages=abc&_offset=200` }, highWater: '2026-11-25T11:00:00+07:00', page: 2 };
    // HAPI FHIR forgets a search after an hour.
    nock(BASE).get(PATH).query({ _getpages: 'abc', _offset: '200' }).reply(410, { resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    nock(BASE).get(PATH).query({ updated_since: '2026-11-25T09:50:00+07:00' }).reply(200, { data: rows(1, 2, '2026-11-25T10:30:00+07:00'), next: `${BASE}${PATH}?_getpages=def&_offset=2` });
    nock(BASE).get(PATH).query({ _getpages: 'def', _offset: '2' }).reply(200, { data: rows(3, 1, '2026-11-25T10:40:00+07:00') });
    const batches = await readAll(reader, stored, ctx);
    expect(batches.map((b) => [b.location, b.records.length])).toEqual([['page 1', 2], ['page 2', 1]]);
    expect(batches.at(-1)!.position).toEqual({ since: stored.since, next: null, highWater: '2026-11-25T11:00:00+07:00', page: 2, upTo: '2026-11-25T02:50:00.000Z' });
    expect(logs.join('')).toContain("the checkpoint's next page was refused");
    // Once only, and only for the checkpoint's page: a refusal of the first page fails the run as before.
    nock(BASE).get(PATH).query({ _getpages: 'abc', _offset: '200' }).reply(410, {});
    nock(BASE).get(PATH).query({ updated_since: '2026-11-25T09:50:00+07:00' }).reply(400, {});
    await expect(readAll(reader, stored, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED', details: { status: 400 } });
    // Credentials refused are not an expired page.
    nock(BASE).get(PATH).query({ _getpages: 'abc', _offset: '200' }).reply(403, {});
    await expect(readAll(reader, stored, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED', details: { status: 403 } });
  });

  it('a position after the last page of a run starts a new run from its high-water mark', async () => {
    const { reader, ctx } = harness({ incremental: { ...incremental, lookback: 'PT0S' } });
    nock(BASE).get(PATH).query({ updated_since: '2026-11-25T11:00:00+07:00' }).reply(200, { data: [] });
    const batches = await readAll(reader, { since: null, next: null, highWater: '2026-11-25T11:00:00+07:00', page: 4 }, ctx);
    expect(batches[0]!.location).toBe('page 1');
  });

  it('refuses a checkpoint another kind of reader wrote', async () => {
    const { reader, ctx } = harness({});
    await expect(readAll(reader, { checksum: 'abc', rowsDone: 5000 }, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_CHECKPOINT_INVALID' });
  });
});

describe('HttpReader include', () => {
  it('attaches the FHIR Immunizations of each Patient in the same Bundle', async () => {
    const { reader, ctx } = harness({
      records: 'entry[resource.resourceType=Patient].resource',
      include: {
        immunizations: { path: 'entry[resource.resourceType=Immunization].resource', key: 'patient.reference', equals: 'Patient/{id}' },
      },
    });
    const patient = (id: string) => ({ fullUrl: `${BASE}/Patient/${id}`, resource: { resourceType: 'Patient', id }, search: { mode: 'match' } });
    const immunization = (id: string, patientId: string, code: string) => ({
      resource: { resourceType: 'Immunization', id, status: 'completed', vaccineCode: { coding: [{ code }] }, patient: { reference: `Patient/${patientId}` } },
      search: { mode: 'include' },
    });
    nock(BASE)
      .get(PATH)
      .reply(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [
          patient('p1'),
          patient('p2'),
          patient('p3'),
          immunization('i1', 'p1', 'BCG'),
          immunization('i2', 'p2', 'HepB'),
          immunization('i3', 'p1', 'DTaP'),
          immunization('i4', 'p9', 'MMR'),
        ],
      });
    const [batch] = await readAll(reader, null, ctx);
    const byId = Object.fromEntries(
      batch!.records.map((r) => [r.data['id'], (r.data['_include'] as { immunizations: Array<{ id: string }> }).immunizations.map((i) => i.id)]),
    );
    expect(byId).toEqual({ p1: ['i1', 'i3'], p2: ['i2'], p3: [] });
    expect(batch!.records[0]!.data).toMatchObject({ resourceType: 'Patient', id: 'p1' });
  });

  it('with match: reference, attaches resources referring to the Patient by an absolute or versioned reference; says when some attach to none (QA: all were dropped, and stored vaccinations with them)', async () => {
    const include = { path: 'entry[resource.resourceType=Immunization].resource', key: 'patient.reference', equals: 'Patient/{id}' };
    const body = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p1' } },
        { resource: { resourceType: 'Patient', id: 'p2' } },
        { resource: { resourceType: 'Immunization', id: 'i1', patient: { reference: `${BASE}/fhir/Patient/p1` } } },
        { resource: { resourceType: 'Immunization', id: 'i2', patient: { reference: 'Patient/p2/_history/3' } } },
        { resource: { resourceType: 'Immunization', id: 'i3', patient: { reference: 'Patient/p1' } } },
        { resource: { resourceType: 'Immunization', id: 'i4', patient: { reference: 'urn:uuid:6a1e' } } },
      ],
    };
    const attached = (batch: { records: Array<{ data: Record<string, unknown> }> }) =>
      Object.fromEntries(batch.records.map((r) => [r.data['id'], (r.data['_include'] as { immunizations: Array<{ id: string }> }).immunizations.map((i) => i.id)]));
    const reference = harness({ records: 'entry[resource.resourceType=Patient].resource', include: { immunizations: { ...include, match: 'reference' } } });
    nock(BASE).get(PATH).reply(200, body);
    expect(attached((await readAll(reference.reader, null, reference.ctx))[0]!)).toEqual({ p1: ['i1', 'i3'], p2: ['i2'] });
    expect(reference.logs.filter((l) => l.includes('attach to no record')).map((l) => JSON.parse(l).unattached)).toEqual([{ immunizations: 1 }]);
    // As written, only the relative reference attaches, and the engineer is told.
    const exact = harness({ records: 'entry[resource.resourceType=Patient].resource', include: { immunizations: include } });
    nock(BASE).get(PATH).reply(200, body);
    expect(attached((await readAll(exact.reader, null, exact.ctx))[0]!)).toEqual({ p1: ['i3'], p2: [] });
    expect(exact.logs.filter((l) => l.includes('attach to no record')).map((l) => JSON.parse(l).unattached)).toEqual([{ immunizations: 3 }]);
  });

  it('with match: reference, resolves a reference written as a Bundle entry\'s fullUrl (urn:uuid, or the resource\'s URL) to that entry\'s resource (QA: such vaccinations were dropped)', async () => {
    const include = { path: 'entry[resource.resourceType=Immunization].resource', key: 'patient.reference', equals: 'Patient/{id}', match: 'reference' as const };
    const body = {
      resourceType: 'Bundle',
      entry: [
        { fullUrl: 'urn:uuid:0b8c2f3e-1111-4c2a-9d1e-5f0a8e0c7a01', resource: { resourceType: 'Patient', id: 'p1' } },
        { fullUrl: 'https://ehr.example/fhir/Patient/p2', resource: { resourceType: 'Patient', id: 'p2' } },
        { resource: { resourceType: 'Immunization', id: 'i1', patient: { reference: 'urn:uuid:0b8c2f3e-1111-4c2a-9d1e-5f0a8e0c7a01' } } },
        { resource: { resourceType: 'Immunization', id: 'i2', patient: { reference: 'https://ehr.example/fhir/Patient/p2' } } },
        { resource: { resourceType: 'Immunization', id: 'i3', patient: { reference: 'urn:uuid:9f9f9f9f-2222-4c2a-9d1e-5f0a8e0c7a02' } } },
      ],
    };
    const { reader, ctx, logs } = harness({ records: 'entry[resource.resourceType=Patient].resource', include: { immunizations: include } });
    nock(BASE).get(PATH).reply(200, body);
    const [batch] = await readAll(reader, null, ctx);
    expect(Object.fromEntries(batch!.records.map((r) => [r.data['id'], (r.data['_include'] as { immunizations: Array<{ id: string }> }).immunizations.map((i) => i.id)])))
      .toEqual({ p1: ['i1'], p2: ['i2'] });
    // A uuid no entry of the page holds still attaches to nothing, and is told.
    expect(logs.filter((l) => l.includes('attach to no record')).map((l) => JSON.parse(l).unattached)).toEqual([{ immunizations: 1 }]);
  });

  it('a template field the record lacks attaches nothing', async () => {
    const { reader, ctx } = harness({
      include: { guardians: { path: 'guardians', key: 'student', equals: '{ma_hs}' } },
    });
    nock(BASE)
      .get(PATH)
      .reply(200, { data: [{ ma_hs: 'HS1' }, { id: 'no-code' }], guardians: [{ student: 'HS1', role: 'cha' }] });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => r.data['_include'])).toEqual([{ guardians: [{ student: 'HS1', role: 'cha' }] }, { guardians: [] }]);
    // A record with something attached is no longer the JSON the source sent: it keeps no bytes.
    expect(batch!.records.map((r) => r.json)).toEqual([undefined, undefined]);
  });
});

describe('HttpReader records as sent', () => {
  it('gives each record of a page its JSON exactly as the source wrote it (spaces, escapes), beside the parsed data', async () => {
    const { reader, ctx } = harness({});
    const body = '{ "data" : [\n  {"ma_hs": "HS1", "ho_ten": "Nguy\\u1ec5n Th\\u1ecb \\"B\\u00e9\\""},\n  {"ma_hs":"HS2","ho_ten":"Trần Văn Bình"}\n] }';
    nock(BASE).get(PATH).reply(200, body, { 'content-type': 'application/json' });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => r.json?.toString('utf8'))).toEqual([
      '{"ma_hs": "HS1", "ho_ten": "Nguy\\u1ec5n Th\\u1ecb \\"B\\u00e9\\""}',
      '{"ma_hs":"HS2","ho_ten":"Trần Văn Bình"}',
    ]);
    expect(batch!.records.map((r) => r.data)).toEqual([{ ma_hs: 'HS1', ho_ten: 'Nguyễn Thị "Bé"' }, { ma_hs: 'HS2', ho_ten: 'Trần Văn Bình' }]);
  });

  it('gives no bytes to records picked from inside the page\'s elements (FHIR entries)', async () => {
    const { reader, ctx } = harness({ records: 'entry[*].resource' });
    nock(BASE).get(PATH).reply(200, { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'p1' } }] });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records).toEqual([{ data: { resourceType: 'Patient', id: 'p1' }, location: 'page 1 entry 1' }]);
  });
});

describe('HttpReader page limits', () => {
  it('refuses a page over maxPageBytes as it arrives, counting the decompressed bytes (QA: a 200 MB page ran the sync out of memory)', async () => {
    const { reader, ctx } = harness({ maxPageBytes: 100_000 });
    const body = JSON.stringify({ data: rows(1, 2_000) });
    expect(body.length).toBeGreaterThan(100_000);
    nock(BASE).get(PATH).reply(200, gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE', details: { maxBytes: 100_000 } });
    expect(err.message).toBe(
      'GET /api/records answered with more than 100000 bytes, refused: ask for fewer records a page, with the pagination\'s size ' +
        "or the source's page-size parameter in request.params, or raise http.maxPageBytes, at most 67108864",
    );
  });

  it('reads a page up to maxPageBytes, whatever the chunks it comes in', async () => {
    const { reader, ctx } = harness({});
    const data = rows(1, 6_000);
    const text = JSON.stringify({ data });
    // Far more than a block of the transport's, in chunks of 64 bytes.
    const chunks = Array.from({ length: Math.ceil(text.length / 64) }, (_, i) => text.slice(i * 64, i * 64 + 64));
    nock(BASE).get(PATH).reply(200, () => Readable.from(chunks.map((c) => Buffer.from(c))), { 'content-type': 'application/json' });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => r.data)).toEqual(data);
  });

  it('refuses a page with more records than maxPageRecords before any is handed over (QA: 2 million small records ran the sync out of memory)', async () => {
    const { reader, ctx } = harness({ maxPageRecords: 2, pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 2), next: 'c2' });
    nock(BASE).get(PATH).query({ cursor: 'c2' }).reply(200, { data: rows(3, 3), next: null });
    const batches: ReadBatch[] = [];
    const err = await failureOf((async () => {
      for await (const b of reader.read(null, ctx)) batches.push(b);
    })());
    expect(batches.map((b) => b.records.length)).toEqual([2]);
    expect(err).toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE', details: { records: 3, maxPageRecords: 2 } });
    expect(err.message).toBe(
      'GET /api/records (page 2) answered with 3 records, more than the 2 a page may hold, refused: ask for fewer records a page, ' +
        "with the pagination's size or the source's page-size parameter in request.params, or raise http.maxPageRecords",
    );
  });
});

describe('HttpReader text as sent', () => {
  it('refuses a page whose body is not valid UTF-8, naming the byte (QA: stored as replacement characters without a word)', async () => {
    const { reader, ctx } = harness({});
    const body = Buffer.from(JSON.stringify({ data: [{ id: '1', ho_ten: 'Nguyen @@ A' }] }));
    const at = body.indexOf('@@');
    body[at] = 0xff;
    body[at + 1] = 0xfe;
    nock(BASE).get(PATH).reply(200, body, { 'content-type': 'application/json' });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE', details: { status: 200, byteOffset: at } });
    expect(err.message).toBe(`GET /api/records (page 1) answered HTTP 200 with a body that is not valid UTF-8 at byte ${at}, refused: JSON is UTF-8; report it to the source's owners`);
  });

  it('quarantines a record holding an escaped lone surrogate, naming the field, and keeps the rest of the page (QA: stored as a replacement character)', async () => {
    const { reader, ctx } = harness({});
    // Escaped pairs and escaped Vietnamese (Python's json.dumps writes them so) are text.
    const body = '{"data":[{"id":"1","ho_ten":"Nguy\\u1ec5n \\ud83d\\ude00"},{"id":"2","ho_ten":"NGUYEN \\ud800 A"},{"id":"3","cha":{"ten":["x","\\udc00"]}},{"id":"4"}]}';
    nock(BASE).get(PATH).reply(200, body, { 'content-type': 'application/json' });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => r.data)).toEqual([{ id: '1', ho_ten: 'Nguyễn 😀' }, { id: '4' }]);
    expect(batch!.rejects).toEqual([
      {
        payload: { id: '2', ho_ten: 'NGUYEN \ud800 A' },
        location: 'page 1 entry 2',
        problems: [{ field: 'ho_ten', code: 'INVALID_TEXT', message: LONE_SURROGATE_MESSAGE }],
        readable: { data: { id: '2', ho_ten: 'NGUYEN \ud800 A' }, location: 'page 1 entry 2' },
      },
      expect.objectContaining({ payload: { id: '3', cha: { ten: ['x', '\udc00'] } }, problems: [expect.objectContaining({ field: 'cha.ten[1]' })] }),
    ]);
  });

  it('quarantines a record nested deeper than a record is stored with, keeping the rest of the page (QA: PostgreSQL failed the page, 54001)', async () => {
    const { reader, ctx } = harness({});
    const depth = MAX_RECORD_DEPTH + 1;
    const deep = `{"id":"2","x":${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}}`;
    const edge = `{"id":"3","x":${'['.repeat(MAX_RECORD_DEPTH - 1)}${']'.repeat(MAX_RECORD_DEPTH - 1)}}`;
    nock(BASE).get(PATH).reply(200, `{"data":[{"id":"1"},${deep},${edge}]}`, { 'content-type': 'application/json' });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => (r.data as { id: string }).id)).toEqual(['1', '3']);
    // Kept to a depth a store takes, with its id, which the sync reads from it (QA re-check: every deep record was one
    // reject without an id).
    let kept: unknown = '(nested deeper: not kept)';
    for (let i = 0; i < 15; i++) kept = { a: kept };
    expect(batch!.rejects).toEqual([{
      payload: { id: '2', x: kept },
      location: 'page 1 entry 2',
      problems: [{ field: '(record)', code: 'TOO_DEEP', message: `is nested more than ${MAX_RECORD_DEPTH} levels deep, deeper than a record is stored with` }],
      readable: { data: { id: '2', x: kept }, location: 'page 1 entry 2' },
    }]);
  });
});

describe('HttpReader request budget', () => {
  it('spaces requests 1/requestsPerSecond apart, and the headroom', async () => {
    const { reader, ctx, clock } = harness({ requestsPerSecond: 2, pagination: { type: 'page', size: 1 } });
    for (let p = 1; p <= 3; p++) nock(BASE).get(PATH).query({ page: String(p), size: '1' }).reply(200, { data: rows(p, 1) });
    nock(BASE).get(PATH).query({ page: '4', size: '1' }).reply(200, { data: [] });
    await readAll(reader, null, ctx);
    expect(clock.sleeps).toEqual([510, 510, 510]);
  });

  it('retries spend the budget too, spaced from when the request they retry left (the next page is requested before this one is used)', async () => {
    const { reader, ctx, clock } = harness({ requestsPerSecond: 4, pagination: { type: 'page', size: 1 } });
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: rows(1, 1) });
    nock(BASE).get(PATH).query({ page: '2', size: '1' }).reply(503, '', { 'Retry-After': '0' });
    nock(BASE).get(PATH).query({ page: '2', size: '1' }).reply(200, { data: [] });
    for await (const _ of reader.read(null, ctx)) clock.advance(100);
    // Page 2 is requested as soon as page 1 arrives (it is read while page 1 is stored): it waits the full
    // 255 ms (250 and the headroom). On this clock the 100 ms spent on page 1 pass before it leaves, at 355 ms: its
    // retry (Retry-After 0) is spaced from then, not from its slot, and waits 255 ms again.
    expect(clock.sleeps.map((ms) => Math.round(ms))).toEqual([255, 255]);
  });
});

describe('HttpReader.check', () => {
  it('checks settings and the first page, reporting the records found', async () => {
    const { reader, ctx } = harness(
      { auth: { type: 'apiKey', header: 'X-Api-Key', value: { env: 'KEY' } }, pagination: { type: 'page', size: 50 }, incremental },
      { KEY: 'k' },
    );
    nock(BASE).get(PATH).query({ page: '1', size: '50' }).matchHeader('x-api-key', 'k').reply(200, { data: rows(1, 3) });
    expect(await reader.check(ctx)).toEqual({
      ok: true,
      steps: [
        { step: 'settings and secrets', ok: true },
        { step: 'first page', ok: true, detail: 'HTTP 200, 3 records' },
      ],
      sampleCount: 3,
    });
  });

  it('says which settings took the definition\'s default because their variable is not set (QA: "connection refused" and no word of it)', async () => {
    const { reader, ctx } = harness({ baseUrl: { env: 'SOURCE_URL', default: BASE }, auth: { type: 'apiKey', header: 'X-Api-Key', value: { env: 'KEY' } } }, { KEY: 'k' });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1) });
    expect((await reader.check(ctx)).steps[0]).toEqual({
      step: 'settings and secrets', ok: true, detail: `not set, so the definition's default is used: SOURCE_URL (${BASE})`,
    });
  });

  it('names every missing variable', async () => {
    const { reader, ctx } = harness({
      baseUrl: { env: 'SOURCE_URL' },
      auth: { type: 'basic', username: { env: 'SOURCE_USER' }, password: { env: 'SOURCE_PASSWORD' } },
    });
    expect(await reader.check(ctx)).toEqual({
      ok: false,
      steps: [{ step: 'settings and secrets', ok: false, detail: 'environment variables not set: SOURCE_URL, SOURCE_USER, SOURCE_PASSWORD' }],
    });
  });

  it('gets an OAuth2 token before the first page', async () => {
    const { reader, ctx } = harness(
      {
        auth: { type: 'oauth2ClientCredentials', tokenUrl: `${BASE}/token`, clientId: 'c', clientSecret: { env: 'SECRET' } },
        records: 'entry[resource.resourceType=Patient].resource',
      },
      { SECRET: 's' },
    );
    nock(BASE).post('/token').reply(200, { access_token: 'at', expires_in: 60 });
    nock(BASE).get(PATH).matchHeader('authorization', 'Bearer at').reply(200, { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient' } }] });
    const result = await reader.check(ctx);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ['settings and secrets', true],
      ['OAuth2 token', true],
      ['first page', true],
    ]);
    expect(result.sampleCount).toBe(1);
  });

  it('reports a refused token request as the failing step', async () => {
    const { reader, ctx } = harness(
      { auth: { type: 'oauth2ClientCredentials', tokenUrl: `${BASE}/token`, clientId: 'c', clientSecret: { env: 'SECRET' } } },
      { SECRET: 's' },
    );
    nock(BASE).post('/token').reply(400, { error: 'invalid_scope' });
    const result = await reader.check(ctx);
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toEqual({
      step: 'OAuth2 token',
      ok: false,
      detail: expect.stringContaining('POST /token was refused with HTTP 400 Bad Request (invalid_scope)'),
    });
  });

  it('gives up a request after two attempts, not the sync\'s retries: someone is waiting (QA: a hanging token endpoint took 3.5 minutes)', async () => {
    const { reader, ctx } = harness(
      { auth: { type: 'oauth2ClientCredentials', tokenUrl: `${BASE}/token`, clientId: 'c', clientSecret: { env: 'SECRET' } }, retry: { maxAttempts: 6 } },
      { SECRET: 's' },
    );
    nock(BASE).post('/token').times(2).reply(503);
    const result = await reader.check(ctx);
    expect(result.steps.at(-1)).toEqual({ step: 'OAuth2 token', ok: false, detail: expect.stringContaining('POST /token failed after 2 attempts (last: HTTP 503') });
    nock(BASE).post('/token').reply(200, { access_token: 'at', expires_in: 60 });
    nock(BASE).get(PATH).times(2).reply(500);
    expect((await reader.check(ctx)).steps.at(-1)).toEqual({ step: 'first page', ok: false, detail: expect.stringContaining('failed after 2 attempts') });
  });

  it('reports a refused first page, logging it at debug without a stack (the engineer reads the step; QA: a WARN with a stack followed)', async () => {
    const { reader, ctx, logs } = harness({});
    nock(BASE).get(PATH).reply(404);
    const result = await reader.check(ctx);
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toMatchObject({ step: 'first page', ok: false, detail: expect.stringContaining('HTTP 404 Not Found') });
    const line = JSON.parse(logs.find((l) => l.includes('check: first page failed'))!) as { level: number; err: Record<string, unknown> };
    expect(line.level).toBe(20);
    expect(line.err).toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED' });
    // (This test's plain pino writes an error-like object's missing stack as "".)
    expect(line.err['stack'] ?? '').toBe('');
  });
});
