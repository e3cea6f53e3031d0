import type { ConnectorHealthRow } from '../db/repositories/connector-read.repository.js';
import type { Metrics } from './metrics.js';

/** The statuses `childhub_connector_last_run_status` has a series for, each connector's 1 and the others 0. */
const RUN_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED'] as const;

/** A connector as its definition file says now: valid definitions only (an invalid one is not defined). */
export interface DefinedConnector {
  name: string;
  enabled: boolean;
}

/**
 * Sets the per-connector gauges from this scrape's reading (`health`), or clears them when PostgreSQL did not
 * answer (null): a connector's figures are left out rather than shown as they last were. Every status has a
 * series (0 or 1), so a status that changes does not make one series vanish and another appear; a time never
 * reached (no success, no new data) is 0, so `time() - x > …` fires for it as for one long ago.
 *
 * `defined`: the connectors whose definition files are valid now. Each has its series from the start (a
 * connector defined and never synced has no success, no new data, nothing open or waiting, and no run
 * status), and `childhub_connector_enabled` says which may sync: 1 for a valid, enabled definition; 0 for a
 * disabled one, and for a connector PostgreSQL knows whose definition is gone or invalid (alerts join on it).
 * `invalid`: the connector folders whose definition does not validate now (`childhub_connector_definition_valid` 0;
 * 1 for each of `defined`).
 */
export function setConnectorGauges(metrics: Metrics, health: readonly ConnectorHealthRow[] | null, defined: readonly DefinedConnector[], invalid: readonly string[] = []): void {
  for (const g of [metrics.connectorLastRunStatus, metrics.connectorLastSuccess, metrics.connectorLastNewData, metrics.connectorOpenRejects, metrics.connectorQueuedSeconds, metrics.connectorEnabled, metrics.connectorDefinitionValid]) {
    g.reset();
  }
  // A definition that does not validate stops its connector's syncs: said by a series of its own, which an alert
  // fires on, since `enabled` is then 0 and keeps the staleness alerts quiet (QA re-check).
  for (const connector of defined) metrics.connectorDefinitionValid.set({ connector: connector.name }, 1);
  for (const connector of invalid) metrics.connectorDefinitionValid.set({ connector }, 0);
  const enabled = new Map(defined.map((d) => [d.name, d.enabled]));
  for (const [connector, on] of enabled) metrics.connectorEnabled.set({ connector }, on ? 1 : 0);
  if (health === null) return;
  const synced = new Set<string>();
  for (const c of health) {
    const connector = c.name;
    synced.add(connector);
    if (!enabled.has(connector)) metrics.connectorEnabled.set({ connector }, 0);
    if (c.last_status !== null) {
      const statuses = (RUN_STATUSES as readonly string[]).includes(c.last_status) ? RUN_STATUSES : [...RUN_STATUSES, c.last_status];
      for (const status of statuses) metrics.connectorLastRunStatus.set({ connector, status }, status === c.last_status ? 1 : 0);
    }
    metrics.connectorLastSuccess.set({ connector }, c.last_success_at ?? 0);
    metrics.connectorLastNewData.set({ connector }, c.last_new_data_at ?? 0);
    metrics.connectorOpenRejects.set({ connector }, c.open_rejects);
    metrics.connectorQueuedSeconds.set({ connector }, c.queued_seconds);
  }
  for (const connector of enabled.keys()) {
    if (synced.has(connector)) continue;
    metrics.connectorLastSuccess.set({ connector }, 0);
    metrics.connectorLastNewData.set({ connector }, 0);
    metrics.connectorOpenRejects.set({ connector }, 0);
    metrics.connectorQueuedSeconds.set({ connector }, 0);
  }
}
