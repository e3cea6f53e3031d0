import type { ConnectorDefinition } from './definition/connector-definition.schema.js';
import { checkpointLabel } from './file/file-label.js';
import { describeHttpPosition } from './http/http-position-view.js';
import { shownParamsOf } from './http/shown-params.js';
import type { ReaderPosition } from './types.js';

/** What describing a checkpoint needs of its connector's definition: for http, the parameters the hub makes. */
export type CheckpointDefinition = Pick<ConnectorDefinition, 'kind' | 'http'>;

/**
 * A stored checkpoint (`connector.state`, `connector_run.checkpoint`) as every view shows it, as JSON text (null:
 * none): GraphQL `Connector.checkpoint` and `ConnectorRun.checkpoint`, `childhub connectors list`. Those views are
 * for roles that see no personal data, whatever their communes, and a source's paging cursor or next link can carry
 * anything, a child's name or number included: an http position is described ({@link describeHttpPosition}).
 * Told apart by its shape (its `next`), not by the connector's kind, which may have changed since the checkpoint
 * was written. `definition`: the connector's definition as its file says now, when it validates; without it every
 * query value of the next request is withheld. A file position names its file by its label ({@link checkpointLabel}:
 * agencies name files after children), also in checkpoints written before the reader labelled them.
 */
export function checkpointView(checkpoint: unknown, definition: CheckpointDefinition | undefined): string | null {
  if (checkpoint === null || checkpoint === undefined) return null;
  if (typeof checkpoint === 'object' && !Array.isArray(checkpoint) && 'next' in checkpoint) {
    const shown = definition?.kind === 'http' && definition.http ? shownParamsOf(definition.http) : new Set<string>();
    return JSON.stringify(describeHttpPosition(checkpoint as ReaderPosition, shown));
  }
  return JSON.stringify(checkpointLabel(checkpoint));
}
