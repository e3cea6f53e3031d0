import fs from 'node:fs/promises';
import path from 'node:path';

/** What PostgreSQL's lock file, `postmaster.pid` in the data folder, says about the server that holds it. */
export interface PostmasterPid {
  pid: number;
  /** Absent while the postmaster is still writing the file. */
  port?: number;
  /** `starting`, `ready`, `stopping` or `standby`; absent while the postmaster is still writing the file. */
  status?: string;
}

/**
 * Parses `postmaster.pid`: line 1 the PID, line 4 the port, line 8 the status (PostgreSQL's
 * LOCK_FILE_LINE_* layout, padded status such as `ready   `). Undefined for an empty or partly written file.
 */
export function parsePostmasterPid(text: string): PostmasterPid | undefined {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const port = Number(lines[3]);
  const status = lines[7]?.trim();
  return { pid, ...(Number.isInteger(port) && port > 0 ? { port } : {}), ...(status ? { status } : {}) };
}

/** Reads the data folder's `postmaster.pid`; undefined when there is none (no server, or a clean stop). */
export async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  try {
    return parsePostmasterPid(await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
