import type { ChildProcess } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isProcessAlive } from './process-alive.js';
import { serverUsers, type ServerUser } from './server-users.js';

/**
 * Which hub process started a local server (embedded PostgreSQL, the local redis-server): written in the
 * server's folder once it answers, removed by whichever process stops the server. The server is stopped by the
 * last hub process using it (server-users.ts); one whose users were all killed (`kill -9`) would otherwise run
 * until someone finds and kills it by hand. With this file and the users' files, `childhub servers` can tell
 * such a server from one running hubs still use, and stop it.
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
 * Says so when a server this process is about to use was left by hub processes that are all gone without
 * stopping it (killed with `kill -9`): nobody will stop it, so the user should know the command that does.
 * Called before this process registers as a user.
 */
export function warnIfOrphaned(what: string, serverPid: number, dir: string, log: Logger): void {
  const owner = readServerOwner(dir);
  if (owner?.serverPid !== serverPid || isProcessAlive(owner.ownerPid) || serverUsers(dir).length > 0) return;
  log.warn(
    { serverPid, ownerPid: owner.ownerPid },
    `${what} was started by hub process ${owner.ownerPid}, which is gone without stopping it: this process stops it when it exits, ` +
      'unless other hub processes use it by then. `childhub servers status` shows it.',
  );
}

/** `hub processes 4242 (worker) and 4250 (serve)`. */
export function describeUsers(users: ServerUser[]): string {
  const each = users.map((u) => `${u.pid} (${u.command})`);
  const list = each.length > 1 ? `${each.slice(0, -1).join(', ')} and ${each[each.length - 1]}` : each[0];
  return `hub process${users.length === 1 ? '' : 'es'} ${list}`;
}

/**
 * Lets this process exit while the server it started runs on for others: it already runs in its own process
 * group; its output pipes are closed (both servers ignore SIGPIPE; PostgreSQL's log goes to debug here anyway)
 * and the child no longer holds the event loop.
 */
export function leaveRunning(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
}
