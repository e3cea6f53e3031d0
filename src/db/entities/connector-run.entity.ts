import { EntitySchema } from '@mikro-orm/core';

/** One run of a connector: counts, checkpoint and error. */
export interface ConnectorRun {
  id: string;
  connectorId: string;
  trigger: 'SCHEDULE' | 'CLI' | 'API' | 'DEMO';
  status: 'QUEUED' | 'RUNNING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  dryRun: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  checkpoint: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  definitionHash: string | null;
  /** How the run was asked for (files given on the CLI). */
  options: Record<string, unknown>;
  requestedBy: string | null;
  batches: number;
  filesIngested: number;
  filesSkipped: number;
  /** Files of the drop directory left for a later sync: modified less than `file.settleSeconds` ago. */
  filesWaiting: number;
  /** Records whose id came again in the run with other content (the later copy kept, flagged `REPEATED_ID`). */
  repeatedIds: number;
  /** What a full read of a connector with `removals` found of the records its source no longer returns (see RunRemovals); null when the run did not look. */
  removals: Record<string, unknown> | null;
  /** Times the run was taken up again from its checkpoint (its worker stopped, or its job was retried after an error). */
  resumed: number;
  /** Files of the drop directory refused whole: `{ fileName, checksum, code, message }` each (no checksum for a file that could not be read). */
  filesRefused: Array<{ fileName: string; checksum?: string; code: string; message: string }>;
  /** The backend pid of the running sync's lock connection (see {@link lockApp}); null before it started. */
  lockPid: number | null;
  /** The application name of the process running the sync (`childhub <pid>-<random>`: one per process). */
  lockApp: string | null;
  /** The queue's job that runs it (none: a sync run in its own process, `--in-process`). */
  jobId: string | null;
  /** Attempts its job is allowed. */
  maxAttempts: number | null;
  /** While RETRYING: when its job's next attempt is due. */
  nextAttemptAt: Date | null;
  /** Every failed attempt, oldest first: `{ attempt, code, message, failedAt }` (a FAILED run's last is its error). */
  failedAttempts: Array<{ attempt: number | null; code: string; message: string; failedAt: string }>;
  createdAt: Date;
}

export const ConnectorRunEntity = new EntitySchema<ConnectorRun>({
  name: 'ConnectorRun',
  tableName: 'connector_run',
  properties: {
    id: { type: 'string', primary: true },
    connectorId: { type: 'string' },
    trigger: { type: 'string' },
    status: { type: 'string' },
    dryRun: { type: 'boolean' },
    startedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    finishedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    heartbeatAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    fetched: { type: 'integer' },
    inserted: { type: 'integer' },
    updated: { type: 'integer' },
    unchanged: { type: 'integer' },
    rejected: { type: 'integer' },
    checkpoint: { type: 'json', columnType: 'jsonb', nullable: true },
    error: { type: 'json', columnType: 'jsonb', nullable: true },
    definitionHash: { type: 'string', nullable: true },
    options: { type: 'json', columnType: 'jsonb' },
    requestedBy: { type: 'string', nullable: true },
    batches: { type: 'integer' },
    filesIngested: { type: 'integer' },
    filesSkipped: { type: 'integer' },
    filesWaiting: { type: 'integer' },
    repeatedIds: { type: 'integer' },
    removals: { type: 'json', columnType: 'jsonb', nullable: true },
    resumed: { type: 'integer' },
    filesRefused: { type: 'json', columnType: 'jsonb' },
    lockPid: { type: 'integer', nullable: true },
    lockApp: { type: 'string', nullable: true },
    jobId: { type: 'string', nullable: true },
    maxAttempts: { type: 'integer', nullable: true },
    nextAttemptAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    failedAttempts: { type: 'json', columnType: 'jsonb' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
