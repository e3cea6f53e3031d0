import { describe, expect, it } from 'vitest';
import type { ConnectorHealthRow } from '../db/repositories/connector-read.repository.js';
import { setConnectorGauges } from './connector-metrics.js';
import { createMetrics } from './metrics.js';

const row = (name: string, over: Partial<ConnectorHealthRow> = {}): ConnectorHealthRow => ({
  name, last_status: 'SUCCEEDED', last_success_at: 1_700_000_000, last_new_data_at: 1_690_000_000, open_rejects: 2, queued_seconds: 0, ...over,
});

/** Every sample of the connector gauges, as `metric{labels} value` lines. */
async function samples(metrics: ReturnType<typeof createMetrics>): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith('childhub_connector_')).sort();
}

describe('setConnectorGauges', () => {
  it('gives every defined connector its series, enabled 1 or 0, and 0 to one PostgreSQL knows whose definition is gone', async () => {
    const metrics = createMetrics();
    setConnectorGauges(metrics, [row('school'), row('removed-one', { last_status: 'FAILED', last_success_at: null }), row('broken')], [
      { name: 'school', enabled: true }, { name: 'facility-inspection', enabled: false }, { name: 'never-synced', enabled: true },
    ], ['broken', 'new-and-broken']);
    const lines = await samples(metrics);
    // An invalid definition: a series of its own to alert on, synced before or not (QA re-check: enabled 0 silenced the alerts).
    expect(lines.filter((l) => l.startsWith('childhub_connector_definition_valid'))).toEqual([
      'childhub_connector_definition_valid{connector="broken"} 0',
      'childhub_connector_definition_valid{connector="facility-inspection"} 1',
      'childhub_connector_definition_valid{connector="never-synced"} 1',
      'childhub_connector_definition_valid{connector="new-and-broken"} 0',
      'childhub_connector_definition_valid{connector="school"} 1',
    ]);
    expect(lines).toContain('childhub_connector_enabled{connector="broken"} 0');
    expect(lines.filter((l) => l.startsWith('childhub_connector_enabled'))).toEqual([
      'childhub_connector_enabled{connector="broken"} 0',
      'childhub_connector_enabled{connector="facility-inspection"} 0',
      'childhub_connector_enabled{connector="never-synced"} 1',
      'childhub_connector_enabled{connector="removed-one"} 0',
      'childhub_connector_enabled{connector="school"} 1',
    ]);
    // Never synced: no success and no new data (0, so `time() - x` alerts see it), nothing open or waiting, no run status.
    expect(lines.filter((l) => l.includes('"never-synced"'))).toEqual([
      'childhub_connector_definition_valid{connector="never-synced"} 1',
      'childhub_connector_enabled{connector="never-synced"} 1',
      'childhub_connector_last_new_data_timestamp_seconds{connector="never-synced"} 0',
      'childhub_connector_last_success_timestamp_seconds{connector="never-synced"} 0',
      'childhub_connector_open_rejects{connector="never-synced"} 0',
      'childhub_connector_queued_seconds{connector="never-synced"} 0',
    ]);
    expect(lines).toContain('childhub_connector_last_run_status{connector="removed-one",status="FAILED"} 1');
    expect(lines).toContain('childhub_connector_open_rejects{connector="school"} 2');
  });

  it('keeps only what the files say when PostgreSQL did not answer: no figure shown as it last was', async () => {
    const metrics = createMetrics();
    setConnectorGauges(metrics, [row('school')], [{ name: 'school', enabled: true }]);
    setConnectorGauges(metrics, null, [{ name: 'school', enabled: true }]);
    expect(await samples(metrics)).toEqual(['childhub_connector_definition_valid{connector="school"} 1', 'childhub_connector_enabled{connector="school"} 1']);
  });
});
