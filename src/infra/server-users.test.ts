import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStart } from './process-alive.js';
import { commandOf, releaseServer, SERVER_USERS_DIR, serverUsers, useServer } from './server-users.js';
import { tempDir } from '../../test/support/temp-dir.js';

describe('server users', () => {
  const dir = tempDir('childhub-users-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the last user to let go is told so; files of processes that are gone count for nothing and are removed', () => {
    const a = useServer(dir);
    const b = useServer(dir); // a second user in the same process (a test, a reconnect): told apart
    const gone = spawnSync(process.execPath, ['-e', '']).pid; // a PID no process has any more
    const stale = path.join(dir, SERVER_USERS_DIR, `${gone}-1`);
    writeFileSync(stale, JSON.stringify({ pid: gone, command: 'worker' }));
    expect(serverUsers(dir)).toEqual([{ pid: process.pid, command: expect.any(String) }, { pid: process.pid, command: expect.any(String) }]);
    expect(existsSync(stale)).toBe(false);
    expect(releaseServer(a)).toHaveLength(1); // b still uses it
    expect(releaseServer(b)).toEqual([]); // the last
    expect(readdirSync(path.join(dir, SERVER_USERS_DIR))).toEqual([]);
  });

  it('a file whose PID another process has since (a reused PID) counts for nothing', () => {
    const other = spawn('sleep', ['30']);
    try {
      const users = path.join(dir, SERVER_USERS_DIR);
      const reused = path.join(users, `${other.pid}-1`);
      // Written by a process of that PID that started at another time.
      writeFileSync(reused, JSON.stringify({ pid: other.pid, command: 'worker', started: '1' }));
      expect(processStart(other.pid!)).not.toBe('1');
      expect(serverUsers(dir)).toEqual([]);
      expect(existsSync(reused)).toBe(false);
      // The same PID with its own start time is a user.
      writeFileSync(reused, JSON.stringify({ pid: other.pid, command: 'worker', started: processStart(other.pid!) }));
      expect(serverUsers(dir)).toEqual([{ pid: other.pid, command: 'worker' }]);
      rmSync(reused);
    } finally {
      other.kill();
    }
  });

  it('no folder yet: no users', () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(serverUsers(empty)).toEqual([]);
  });

  it('names what a process runs without its arguments', () => {
    expect(commandOf(['node', '/app/src/cli/main.js', 'connectors', 'sync', 'school', '--in-process'])).toBe('connectors sync');
    expect(commandOf(['node', '/app/bin/childhub.js', '--verbose', 'worker'])).toBe('worker');
    expect(commandOf(['node', '/app/test/support/hold-servers.ts'])).toBe('hold-servers.ts');
  });
});
