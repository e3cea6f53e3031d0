import { describe, expect, it } from 'vitest';
import { demoSyncReport } from './demo-sync-report.js';

const ok = { status: 'SUCCEEDED', fetched: 10, inserted: 10, updated: 0, unchanged: 0, rejected: 0 };

describe('demoSyncReport', () => {
  it('says all sources synced only when every run succeeded', () => {
    expect(demoSyncReport([{ name: 'school', ...ok }, { name: 'health-station', ...ok }])).toEqual({ level: 'info', message: 'agency sources synced', failed: [], bannerLines: [] });
  });

  it('names each failed source with its error code and message for the banner, and the log does not claim all synced', () => {
    const r = demoSyncReport([
      { name: 'school', ...ok, status: 'FAILED', errorCode: 'CONNECTOR_HTTP_UNREACHABLE', errorMessage: 'connect ECONNREFUSED 127.0.0.1:40123' },
      { name: 'health-station', ...ok },
    ]);
    expect(r.level).toBe('warn');
    expect(r.message).not.toBe('agency sources synced');
    expect(r.message).toContain('1 of 2 agency sources failed');
    expect(r.failed).toEqual(['school']);
    expect(r.bannerLines).toEqual([expect.stringMatching(/^school\s+sync FAILED: CONNECTOR_HTTP_UNREACHABLE: connect ECONNREFUSED 127\.0\.0\.1:40123$/)]);
  });
});
