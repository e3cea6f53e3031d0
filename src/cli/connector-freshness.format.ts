/** How long ago `at` was, roughly, as `connectors list` says it: `under a minute ago`, `12 min ago`, `5 h ago`, `3 days ago`. */
export function ago(at: Date, now: number): string {
  const s = Math.max(0, (now - at.getTime()) / 1000);
  if (s < 60) return 'under a minute ago';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}

/**
 * What `connectors list` says under a connector that has run of when it last got something new: a run that stored a
 * new or changed record (GraphQL `lastNewDataAt`), and for a file connector a file not ingested before
 * (`lastFileIngestedAt`). A connector whose runs all succeed with nothing new looks healthy otherwise (QA: a drop
 * directory without a new file for 27 days).
 */
export function freshnessLine(f: { lastNewDataAt: Date | null; lastFileIngestedAt?: Date | null }, kind: string, now = Date.now()): string {
  const when = (at: Date) => `${at.toISOString()} (${ago(at, now)})`;
  const data = f.lastNewDataAt ? `last new data ${when(f.lastNewDataAt)}` : 'no new data stored yet';
  if (kind !== 'file') return data;
  return `${data}; ${f.lastFileIngestedAt ? `last new file ingested ${when(f.lastFileIngestedAt)}` : 'no file ingested yet'}`;
}
