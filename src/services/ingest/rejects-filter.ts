import { ConnectorNotFoundError } from '../../connectors/definition/connector-not-found.error.js';
import type { ConnectorReadRepository } from '../../db/repositories/connector-read.repository.js';
import { NotFoundError } from '../../errors/index.js';

/**
 * Checks the connector and run that a listing of quarantined records names, so that a typo is answered with
 * an error rather than an empty list: the same check for the API's `rejectedRecords` and the CLI's
 * `connectors rejects`. A connector neither defined here (`defined`: every connector folder's name, its definition
 * valid or not) nor ever synced is
 * CONNECTOR_NOT_FOUND: one removed from the definitions still has its rejects, known by name once it has
 * synced. A run that does not exist, or that is another connector's than the one named, is NOT_FOUND.
 */
export async function checkRejectsFilter(
  repo: ConnectorReadRepository,
  defined: readonly string[],
  filter: { connector: string | null; runId: string | null },
): Promise<void> {
  const { connector, runId } = filter;
  if (connector !== null && !defined.includes(connector) && !(await repo.hasConnector(connector))) {
    // Known: every connector folder, and every connector that ran here (its folder removed since).
    throw new ConnectorNotFoundError(connector, [...new Set([...defined, ...(await repo.connectors()).map((r) => r.name)])].sort());
  }
  if (runId !== null) {
    const run = await repo.run(runId);
    if (!run || (connector !== null && run.connector_name !== connector)) {
      throw new NotFoundError(`no run ${runId}${connector !== null ? ` of connector ${connector}` : ''}`, { argument: 'runId', runId });
    }
  }
}
