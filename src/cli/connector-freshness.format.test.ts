import { describe, expect, it } from 'vitest';
import { ago, freshnessLine } from './connector-freshness.format.js';

describe('connectors list: when a connector last got something new', () => {
  const now = Date.parse('2026-12-06T02:00:00Z');

  it('says how long ago, roughly', () => {
    expect(ago(new Date(now - 30_000), now)).toBe('under a minute ago');
    expect(ago(new Date(now - 12 * 60_000), now)).toBe('12 min ago');
    expect(ago(new Date(now - 47 * 3_600_000), now)).toBe('47 h ago');
    expect(ago(new Date(now - 5 * 86_400_000), now)).toBe('5 days ago');
  });

  it('names the last new data, and for a file connector the last new file', () => {
    const at = new Date('2026-12-01T02:00:00Z');
    expect(freshnessLine({ lastNewDataAt: at }, 'http', now)).toBe('last new data 2026-12-01T02:00:00.000Z (5 days ago)');
    expect(freshnessLine({ lastNewDataAt: null }, 'http', now)).toBe('no new data stored yet');
    expect(freshnessLine({ lastNewDataAt: at, lastFileIngestedAt: new Date('2026-12-03T02:00:00Z') }, 'file', now))
      .toBe('last new data 2026-12-01T02:00:00.000Z (5 days ago); last new file ingested 2026-12-03T02:00:00.000Z (3 days ago)');
    expect(freshnessLine({ lastNewDataAt: null, lastFileIngestedAt: null }, 'file', now)).toBe('no new data stored yet; no file ingested yet');
  });
});
