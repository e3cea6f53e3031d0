import type { Config } from '../config/config.js';
import type { LocalServerStatus, ServerKind } from '../infra/local-servers.js';
import { describeUsers } from '../infra/server-owner.js';

export const SERVER_NAMES: Record<ServerKind, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

/** One line a person reads: `PostgreSQL: running, port 54329, PID 4242, started by hub process 4200 (running) …, 3 client connections`. */
export function describeServer(s: LocalServerStatus, cfg: Pick<Config, 'DATABASE_URL' | 'REDIS_URL'>): string {
  const name = SERVER_NAMES[s.kind];
  const external = s.kind === 'postgres' ? cfg.DATABASE_URL && 'DATABASE_URL' : cfg.REDIS_URL && 'REDIS_URL';
  const note = external ? ` (${external} is set: the hub uses that server, not this one)` : '';
  if (!s.running) return `${name}: not running (${s.dir})${note}`;
  const others = (s.users ?? []).filter((u) => u.pid !== s.ownerPid);
  const using = others.length ? `; used by ${describeUsers(others)}` : '';
  const owner = s.ownerPid === undefined
    ? `started by an unknown process${using}`
    : s.ownerAlive
      ? `started by hub process ${s.ownerPid} (running)${using ? `${using}; the last of them to exit stops it` : '; it stops the server when it exits'}`
      : others.length
        ? `started by hub process ${s.ownerPid}, which is gone${using}; the last of them to exit stops it`
        : `started by hub process ${s.ownerPid}, which is gone: no hub process uses it (\`childhub servers stop\` stops it${s.clients ? ' once nobody is connected, or with --force' : ''})`;
  // Every client but this command: the hub processes' own connections included.
  const clients = s.clients === undefined ? 'connections unknown' : `${s.clients} client connection${s.clients === 1 ? '' : 's'}`;
  return `${name}: running, port ${s.port}, PID ${s.pid}, ${owner}, ${clients} (${s.dir})${note}`;
}
