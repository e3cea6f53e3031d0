import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isProcessAlive } from './process-alive.js';

/**
 * Which hub process started a local server (embedded PostgreSQL, the local redis-server): written in the
 * server's folder once it answers, removed by that process when it stops the server. Only that process stops
 * the server, so a server whose owner is gone (the hub was killed with `kill -9`) would otherwise run until
 * someone finds and kills it by hand; with this file, `childhub servers` can tell such a server from one a
 * running hub still owns, and stop it.
 */
export interface ServerOwner {
  /** PID of the server (postmaster or redis-server). */
  serverPid: number;
  /** PID of the hub process that started it. */
  ownerPid: number;
  port: number;
}

/** The owner file in a server's folder (`postgres/` or `redis/` under CHILDHUB_HOME). */
export const SERVER_OWNER_FILE = 'server-owner.json';

export function readServerOwner(dir: string): ServerOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path.join(dir, SERVER_OWNER_FILE), 'utf8')) as Partial<Record<keyof ServerOwner, unknown>>;
    return Number.isInteger(o.serverPid) && Number.isInteger(o.ownerPid) && Number.isInteger(o.port)
      ? { serverPid: o.serverPid as number, ownerPid: o.ownerPid as number, port: o.port as number }
      : undefined;
  } catch {
    return undefined; // none (a server started before owners were recorded), or unreadable: owner unknown
  }
}

/** Written whole (temporary file, then rename): a reader never sees half of it. */
export function writeServerOwner(dir: string, owner: ServerOwner): void {
  const tmp = path.join(dir, `${SERVER_OWNER_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(owner));
  renameSync(tmp, path.join(dir, SERVER_OWNER_FILE));
}

/** Removes the file if it still names this server (synchronous: also runs in a process `exit` hook). */
export function removeServerOwner(dir: string, serverPid: number): void {
  if (readServerOwner(dir)?.serverPid === serverPid) rmSync(path.join(dir, SERVER_OWNER_FILE), { force: true });
}

/**
 * Says so when a server this process is about to use was started by a hub process that is gone without
 * stopping it (killed with `kill -9`): nobody will stop it, so the user should know the command that does.
 */
export function warnIfOrphaned(what: string, serverPid: number, dir: string, log: Logger): void {
  const owner = readServerOwner(dir);
  if (owner?.serverPid !== serverPid || isProcessAlive(owner.ownerPid)) return;
  log.warn(
    { serverPid, ownerPid: owner.ownerPid },
    `${what} was started by hub process ${owner.ownerPid}, which is gone without stopping it: it stays running after this process ` +
      'exits too. `childhub servers status` shows it; `childhub servers stop` stops it once no hub process uses it.',
  );
}
