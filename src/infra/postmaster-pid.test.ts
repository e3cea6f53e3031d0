import { describe, expect, it } from 'vitest';
import { parsePostmasterPid } from './postmaster-pid.js';

describe('parsePostmasterPid', () => {
  it('reads the PID, port and status of a running server', () => {
    // As PostgreSQL 18 writes it with listen_addresses=127.0.0.1 and no Unix socket directory.
    const text = '25105\n/tmp/home/postgres/data\n1764861339\n55411\n\n127.0.0.1\n    55411001         0\nready   \n';
    expect(parsePostmasterPid(text)).toEqual({ pid: 25105, port: 55411, status: 'ready' });
  });

  it('leaves out what a postmaster still writing the file has not written yet', () => {
    expect(parsePostmasterPid('25105\n/tmp/home/postgres/data\n1764861339\n55411\n')).toEqual({ pid: 25105, port: 55411 });
    expect(parsePostmasterPid('25105\n')).toEqual({ pid: 25105 });
    expect(parsePostmasterPid('')).toBeUndefined();
    expect(parsePostmasterPid('not a pid\n')).toBeUndefined();
  });
});
