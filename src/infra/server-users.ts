import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive, processStart } from './process-alive.js';

/**
 * The hub processes using a local server (embedded PostgreSQL, the local redis-server): one file each in the
 * server's folder, `hub-processes/<pid>-<n>`, written when a process starts or connects to the server and
 * removed when it lets go of it. The last process to let go stops the server, whichever process started it:
 * a `worker` started first and stopped first no longer takes the servers from under the `serve` still
 * running in another terminal.
 *
 * Who is last is settled without a lock: each process removes its own file first and then looks for the
 * others'. Of two letting go at the same moment, the one that looks last finds neither file (each removal
 * comes before its own look), so at least one stops the server; both may, which is harmless (the second finds
 * it stopping, or gone). A file whose process is gone (killed with `kill -9`) counts for nothing and is
 * removed by whoever finds it.
 */

/** Folder of the users' files inside a server's folder. */
export const SERVER_USERS_DIR = 'hub-processes';

export interface ServerUser {
  pid: number;
  /** What the process runs (`serve`, `worker`, `connectors sync`…), for `childhub servers status`. */
  command: string;
}

/** What a user's file holds: the user, and when its process started, to tell a reused PID from it. */
interface UserFile extends ServerUser {
  /** The process's start time (Linux: clock ticks since boot, `/proc/<pid>/stat`), when known. */
  started?: string;
}

/** Several users in one process (tests; a process that reconnects) are told apart by this counter. */
let seq = 0;

/** Registers this process as a user of the server in `dir`; returns the handle {@link releaseServer} takes. */
export function useServer(dir: string): string {
  const users = path.join(dir, SERVER_USERS_DIR);
  mkdirSync(users, { recursive: true });
  const file = path.join(users, `${process.pid}-${++seq}`);
  const started = processStart(process.pid);
  const user: UserFile = { pid: process.pid, command: commandOf(process.argv), ...(started ? { started } : {}) };
  writeFileSync(file, JSON.stringify(user));
  return file;
}

/**
 * Lets go of the server (synchronous: also runs in a process `exit` hook) and returns the other processes
 * still using it: none means the caller is the last and stops the server.
 */
export function releaseServer(handle: string): ServerUser[] {
  rmSync(handle, { force: true });
  return serverUsers(path.dirname(path.dirname(handle)));
}

/** The live processes using the server in `dir` (files of processes that are gone are removed). */
export function serverUsers(dir: string): ServerUser[] {
  const users = path.join(dir, SERVER_USERS_DIR);
  let names: string[];
  try {
    names = readdirSync(users);
  } catch {
    return [];
  }
  const out: ServerUser[] = [];
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    const file = readUser(path.join(users, name));
    // Gone, or its PID now another process's (a machine restarted, PIDs wrapped): counts for nothing.
    const started = file?.started !== undefined ? processStart(pid) : undefined;
    const reused = started !== undefined && started !== file!.started;
    if (!isProcessAlive(pid) || reused) {
      rmSync(path.join(users, name), { force: true });
      continue;
    }
    out.push({ pid, command: file?.command ?? '?' });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** `childhub connectors sync school --in-process` → `connectors sync`; `childhub worker` → `worker`. */
export function commandOf(argv: readonly string[]): string {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const n = words[0] === 'connectors' || words[0] === 'servers' ? 2 : 1;
  return words.slice(0, n).join(' ') || path.basename(argv[1] ?? 'node');
}

function readUser(file: string): Partial<UserFile> | undefined {
  try {
    const u = JSON.parse(readFileSync(file, 'utf8')) as Partial<UserFile>;
    return { command: typeof u.command === 'string' ? u.command : '?', ...(typeof u.started === 'string' ? { started: u.started } : {}) };
  } catch {
    return undefined; // being written or removed
  }
}
