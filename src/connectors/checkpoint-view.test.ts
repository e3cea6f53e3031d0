import { describe, expect, it } from 'vitest';
import { ConnectorCatalog } from './definition/connector-catalog.js';
import { checkpointView } from './checkpoint-view.js';

/** A checkpoint as GraphQL and `connectors list` show it: a source's cursor or next link held but withheld. */
describe('checkpointView', () => {
  const catalog = ConnectorCatalog.load();
  const school = catalog.get('school').definition; // cursor pagination: cursor, size param `limit`; incremental `updated_since`
  const health = catalog.get('health-station').definition; // nextLink pagination; incremental `_lastUpdated`
  const NAME_AND_NUMBER = 'NGUYỄN VĂN AN|001215000123';

  it('withholds a cursor, shows the page size, page count, bounds and high-water mark as they are; the stored position is not touched', () => {
    const state = {
      since: '2026-12-01T00:00:00.000Z', next: { params: { limit: '1000', cursor: NAME_AND_NUMBER } }, highWater: '2026-12-14T09:00:00.000Z',
      page: 3, upTo: '2026-12-14T10:00:00.000Z',
    };
    const stored = structuredClone(state);
    const view = checkpointView(state, school)!;
    expect(JSON.parse(view)).toEqual({ ...state, next: { params: { limit: '1000', cursor: '[withheld]' } } });
    expect(view).not.toContain('NGUY');
    expect(view).not.toContain('001215000123');
    expect(state).toEqual(stored);
  });

  it('shows a server-made next link as its origin, with only the values the hub makes (its path, the source\'s, withheld)', () => {
    const url = `https://fhir.example.vn/fhir/Patient?_lastUpdated=gt2026-12-01&_getpages=${encodeURIComponent(NAME_AND_NUMBER)}&_count=200`;
    const view = checkpointView({ since: null, next: { url }, highWater: null, page: 1 }, health)!;
    expect(JSON.parse(view).next).toEqual({ url: 'https://fhir.example.vn/[withheld]?_lastUpdated=gt2026-12-01&_getpages=[withheld]&_count=[withheld]' });
    expect(view).not.toMatch(/NGUY|001215000123/);
    // A path the source made can carry a name and number too (QA re-check).
    const inPath = checkpointView({ next: { url: `https://api.example.vn/students/after/${encodeURIComponent(NAME_AND_NUMBER)}` } }, health)!;
    expect(JSON.parse(inPath).next).toEqual({ url: 'https://api.example.vn/[withheld]' });
    expect(JSON.parse(checkpointView({ next: { url: 'not a url NGUYỄN' } }, health)!).next).toEqual({ url: '[withheld]' });
  });

  it('without the connector\'s definition (removed, invalid) every value of the next request is withheld', () => {
    expect(JSON.parse(checkpointView({ next: { params: { limit: '1000', cursor: NAME_AND_NUMBER } }, page: 2 }, undefined)!))
      .toEqual({ next: { params: { limit: '[withheld]', cursor: '[withheld]' } }, page: 2 });
    // Nor is a file connector's definition taken for one that says which values are the hub's.
    expect(JSON.parse(checkpointView({ next: { params: { limit: '1000' } } }, catalog.get('justice-register').definition)!))
      .toEqual({ next: { params: { limit: '[withheld]' } } });
  });

  it('withholds a next request of any other shape whole, and leaves positions without one as they are', () => {
    expect(JSON.parse(checkpointView({ next: { params: { cursor: NAME_AND_NUMBER }, extra: NAME_AND_NUMBER } }, school)!)).toEqual({ next: '[withheld]' });
    expect(JSON.parse(checkpointView({ next: NAME_AND_NUMBER }, school)!)).toEqual({ next: '[withheld]' });
    expect(JSON.parse(checkpointView({ next: { params: { limit: 1000 } } }, school)!)).toEqual({ next: { params: { limit: '[withheld]' } } });
    // A finished run's position (its high-water mark) and a last page's (next null).
    expect(checkpointView({ highWater: '2026-12-14T09:00:00.000Z' }, school)).toBe('{"highWater":"2026-12-14T09:00:00.000Z"}');
    expect(checkpointView({ since: null, next: null, highWater: null, page: 4 }, school)).toBe('{"since":null,"next":null,"highWater":null,"page":4}');
    expect(checkpointView(null, school)).toBeNull();
  });
});
