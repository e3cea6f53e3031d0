/** A connector run of the demo's first sync, as it ended. */
export interface DemoRunResult {
  name: string;
  status: string;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The run's stored error (`connector_run.error`: a code and a message that hold no record's data), when it failed. */
  errorCode?: string | null;
  errorMessage?: string | null;
}

/**
 * What the demo says of its syncs once they ended: the log line (which does not claim all were synced when
 * one failed) and the banner's lines naming each failed source with its error (QA: a failed sync showed only
 * as a buried WARN, under `agency sources synced` and the usual banner).
 */
export function demoSyncReport(runs: DemoRunResult[]): { level: 'info' | 'warn'; message: string; failed: string[]; bannerLines: string[] } {
  const failed = runs.filter((r) => r.status !== 'SUCCEEDED');
  if (!failed.length) return { level: 'info', message: 'agency sources synced', failed: [], bannerLines: [] };
  return {
    level: 'warn',
    message: `${failed.length} of ${runs.length} agency sources failed to sync (the banner names them); the others synced`,
    failed: failed.map((r) => r.name),
    bannerLines: failed.map((r) => `${r.name.padEnd(20)} sync ${r.status}: ${r.errorCode ?? 'no error code'}${r.errorMessage ? `: ${r.errorMessage}` : ''}`),
  };
}
