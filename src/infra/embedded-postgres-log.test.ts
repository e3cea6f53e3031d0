import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logServerOutput } from './embedded-postgres.js';

describe('logServerOutput (the embedded server\'s log in the hub\'s)', () => {
  it('drops the lines that repeat a statement or a row and the quoted values of the others (QA: a child\'s name reached demo.log)', () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    logServerOutput(log, [
      '2026-12-05 09:30:00.100 UTC [4242] ERROR:  new row for relation "child" violates check constraint "child_sex_check"',
      '2026-12-05 09:30:00.100 UTC [4242] DETAIL:  Failing row contains (chd_X, ACTIVE, null, 1, Nguyễn Thị Thu Hà, BAD).',
      "2026-12-05 09:30:00.100 UTC [4242] STATEMENT:  insert into child(id, full_name, sex) values ('chd_X', 'Nguyễn Thị Thu Hà', 'BAD')",
      "\tand full_name = 'Nguyễn Thị Thu Hà'",
      '2026-12-05 09:30:01.000 UTC [4243] ERROR:  invalid input syntax for type date: "Nguyễn Thị Thu Hà"',
      '2026-12-05 09:30:01.000 UTC [4243] CONTEXT:  COPY source_record, line 3, column birth_date: "Nguyễn Thị Thu Hà"',
      '2026-12-05 09:30:02.000 UTC [1] LOG:  database system is ready to accept connections',
      // QA: statements logged by log_statement, values printed unquoted, RAISE messages, dollar quotes.
      "2026-12-05 09:30:03.000 UTC [4244] LOG:  statement: select $$Nguyễn Văn A$$, 001277778888 as n",
      '2026-12-05 09:30:03.000 UTC [4244] LOG:  duration: 0.5 ms  statement: select 1',
      '2026-12-05 09:30:04.000 UTC [4245] ERROR:  date field value out of range: 2019-13-31',
      '2026-12-05 09:30:05.000 UTC [4246] ERROR:  Nguyễn Văn A 001211112222',
      '2026-12-05 09:30:06.000 UTC [4247] FATAL:  password authentication failed for user "nguyen"',
      '2026-12-05 09:30:07.000 UTC [1] LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added',
      '',
    ].join('\n'));
    const out = lines.join('');
    expect(out).not.toContain('Nguyễn');
    expect(out).not.toContain('Failing row');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      "2026-12-05 09:30:00.100 UTC [4242] ERROR:  [a statement's message: withheld, the client that ran it has it]",
      "2026-12-05 09:30:01.000 UTC [4243] ERROR:  [a statement's message: withheld, the client that ran it has it]",
      '2026-12-05 09:30:02.000 UTC [1] LOG:  database system is ready to accept connections',
      "2026-12-05 09:30:04.000 UTC [4245] ERROR:  [a statement's message: withheld, the client that ran it has it]",
      "2026-12-05 09:30:05.000 UTC [4246] ERROR:  [a statement's message: withheld, the client that ran it has it]",
      '2026-12-05 09:30:06.000 UTC [4247] FATAL:  password authentication failed for user [redacted]',
      '2026-12-05 09:30:07.000 UTC [1] LOG:  checkpoint complete: wrote 3 buffers [redacted]; 0 WAL file[redacted] added',
    ]);
  });
});
