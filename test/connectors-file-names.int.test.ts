import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { FilesRefusedError } from '../src/connectors/sync/files-refused.error.js';
import { createLogger, serializeError } from '../src/observability/logger.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

/**
 * Agencies name drop files after a child (QA: `khai-sinh-NGUYEN-VAN-AN-001322711590.csv`). Run history, reject
 * locations, logs, the job's failure and the GraphQL fields engineers and operators of any commune read show such
 * a file by its label (`khai-sinh-[withheld].csv`); only `ingested_file` (shown nowhere) keeps its name.
 */
describe('file names after a child', () => {
  const lines: string[] = [];
  let hub: TestHub;
  let dir: string;
  const saved = { ...process.env };
  /** Every piece of a child's name or number the files below are named with. */
  const LEAKS = ['NGUYEN-VAN-AN', 'NGUYEN', '001322711590', 'TRAN-THI-HA', '013227115', 'LE-VAN-TAM', '001315000123'];
  const expectNoLeak = (text: string, where: string) => {
    for (const leak of LEAKS) expect(text, `${where} holds ${leak}`).not.toContain(leak);
  };
  const VALID = 'khai-sinh-NGUYEN-VAN-AN-001322711590.csv';
  const VALID_SHOWN = 'khai-sinh-[withheld].csv';
  let error: unknown;
  let runId: string;

  beforeAll(async () => {
    dir = tempDir('childhub-file-names-');
    // A valid export with a broken row (quarantined, with its location), its adoptions workbook named alike.
    const valid = await writeJusticeRegisterDrop({ dir, seed: 515, count: 60, brokenRows: 1, tag: 'NGUYEN-VAN-AN-001322711590' });
    expect(valid.files.map((f) => path.basename(f.path))).toContain(VALID);
    // A Windows-1258 export, and a damaged workbook, named after other children.
    const legacyDir = path.join(dir, '..', `${path.basename(dir)}-legacy`);
    const legacy = await writeJusticeRegisterDrop({ dir: legacyDir, seed: 516, count: 30, encoding: 'windows-1258', tag: 'x' });
    renameSync(legacy.files.find((f) => f.kind === 'birth')!.path, path.join(dir, 'khai-sinh-TRAN-THI-HA-013227115.csv'));
    rmSync(legacyDir, { recursive: true, force: true });
    writeFileSync(path.join(dir, 'nuoi-con-nuoi-LE-VAN-TAM-001315000123.xlsx'), Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(300, 7)]));
    Object.assign(process.env, { JUSTICE_REGISTER_DROP_DIR: dir, JUSTICE_REGISTER_SETTLE_SECONDS: '0' });
    hub = await startTestHub({ logger: createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } }) });
    error = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI' }).catch((e: unknown) => e);
    runId = (await hub.ctx.sql.one<{ id: string }>('SELECT id FROM connector_run ORDER BY id DESC LIMIT 1'))!.id;
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  it('reads the valid file, refuses the others, and names them all by their labels in the error, as Redis keeps it too', () => {
    expect(error).toBeInstanceOf(FilesRefusedError);
    const e = error as FilesRefusedError;
    expect(e.message).toMatch(/khai-sinh-\[withheld\]\.csv — CONNECTOR_FILE_ENCODING: khai-sinh-\[withheld\]\.csv is not valid UTF-8/);
    expect(e.message).toMatch(/nuoi-con-nuoi-\[withheld\]\.xlsx — CONNECTOR_FILE_FORMAT: nuoi-con-nuoi-\[withheld\]\.xlsx cannot be read as an XLSX workbook/);
    // What the connector-sync job's failure keeps in Redis (failedReason, stacktrace) is made of these.
    expectNoLeak(e.message, 'the error');
    expectNoLeak(String(e.stack), 'its stack');
    expectNoLeak(JSON.stringify(serializeError(e)), 'the error as logged and as the job fails with it');
    expectNoLeak(JSON.stringify(e.details), 'its details');
  });

  it('keeps no name or number in the run (error, refused files, failed attempts, checkpoint), the connector\'s checkpoint or reject locations', async () => {
    const run = (await hub.ctx.sql.one<{ r: string; files_ingested: number; files_refused: Array<{ fileName: string; code: string; checksum?: string }>; checkpoint: { file: { name: string } } }>(
      'SELECT row_to_json(r)::text AS r, files_ingested, files_refused, checkpoint FROM connector_run r WHERE id = $1', [runId]))!;
    expect(run.files_ingested).toBe(2);
    expect(run.files_refused.map((f) => `${f.fileName} ${f.code}`).sort()).toEqual([
      'khai-sinh-[withheld].csv CONNECTOR_FILE_ENCODING',
      'nuoi-con-nuoi-[withheld].xlsx CONNECTOR_FILE_FORMAT',
    ]);
    // The engineer finds a withheld file by its kept parts, or by its checksum.
    expect(run.files_refused.find((f) => f.code === 'CONNECTOR_FILE_ENCODING')!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(run.checkpoint.file.name).toMatch(/^(khai-sinh|nuoi-con-nuoi)-\[withheld\]\.(csv|xlsx)$/);
    expectNoLeak(run.r, 'connector_run');
    const state = (await hub.ctx.sql.one<{ s: string | null }>(`SELECT state::text AS s FROM connector WHERE name = 'justice-register'`))!.s;
    expectNoLeak(String(state), 'connector.state');
    const rejects = await hub.ctx.sql.query<{ location: string }>('SELECT location FROM rejected_record WHERE connector_run_id = $1', [runId]);
    expect(rejects.map((r) => r.location)).toEqual([expect.stringMatching(/^khai-sinh-\[withheld\]\.csv row \d+$/)]);
    // The protected table keeps the real name (shown nowhere).
    const ingested = await hub.ctx.sql.query<{ file_name: string }>('SELECT file_name FROM ingested_file WHERE connector_run_id = $1 ORDER BY file_name', [runId]);
    expect(ingested.map((f) => f.file_name)).toContain(VALID);
  });

  it('logs no name or number, at trace level', () => {
    const out = lines.join('');
    expect(out).toContain(VALID_SHOWN);
    expect(out).toContain('file started');
    expectNoLeak(out, 'the log');
  });

  it('shows labels over GraphQL to an integration engineer and an operator of one commune, also for rows stored before labels', async () => {
    // A checkpoint and a location written before the reader labelled names, as an older hub left them.
    await hub.ctx.sql.query(`UPDATE connector SET state = $1 WHERE name = 'justice-register'`,
      [JSON.stringify({ file: { checksum: 'a'.repeat(64), name: VALID }, sheetIndex: 0, rowsDone: 10 })]);
    await hub.ctx.sql.query(`UPDATE connector_run SET checkpoint = jsonb_set(checkpoint, '{file,name}', to_jsonb($1::text)),
      files_refused = jsonb_build_array(jsonb_build_object('fileName', $1::text, 'code', 'CONNECTOR_FILE_FORMAT', 'message', 'x')) || files_refused WHERE id = $2`, [VALID, runId]);
    await hub.ctx.sql.query(`UPDATE rejected_record SET location = $1 || ' row 9' WHERE connector_run_id = $2`, [VALID, runId]);
    for (const role of ['integration_engineer', 'operator'] as const) {
      const token = await hub.token({ roles: [role], communes: ['00004'] });
      const res = await hub.gql(`{
        connectors { name checkpoint lastRun { checkpoint error { code message } filesRefused { fileName code message } failedAttempts { code message } } }
        connectorRuns(connector: "justice-register") { checkpoint error { message } filesRefused { fileName message } failedAttempts { message } }
        rejectedRecords(connector: "justice-register") { location }
      }`, {}, token);
      expect(res.body.errors).toBeUndefined();
      const text = JSON.stringify(res.body.data);
      expect(text).toContain('khai-sinh-[withheld].csv row 9');
      expect(text).toContain('CONNECTOR_FILES_REFUSED');
      expectNoLeak(text, `GraphQL for ${role}`);
    }
  });

  it('resumes a run stopped inside a file named after a child: its checkpoint names the label, the file is found by its checksum', async () => {
    // A run that stopped after the first chunk of the valid file, its checkpoint as the reader wrote it.
    const { FileReader } = await import('../src/connectors/file/file-reader.js');
    const { fileConfigSchema } = await import('../src/connectors/file/file.schema.js');
    const reader = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, chunkRows: 10, pattern: 'khai-sinh-NGUYEN-*.csv' }), {
      logger: createLogger({ level: 'silent' }), name: 'justice-register',
    });
    const first = (await reader.read(null, {})[Symbol.asyncIterator]().next()).value!;
    expect(first.position).toMatchObject({ file: { name: VALID_SHOWN }, rowsDone: 10 });
    await hub.ctx.sql.query(`UPDATE connector SET state = $1 WHERE name = 'justice-register'`, [JSON.stringify(first.position)]);
    await hub.ctx.sql.query(`DELETE FROM ingested_file WHERE file_name = $1`, [VALID]);
    const resumedFrom: string[] = [];
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [path.join(dir, VALID)] }, {
      onProgress: (p) => void (p.location && resumedFrom.push(p.location)),
    });
    expect(run.status).toBe('SUCCEEDED');
    // Read from row 12 on (10 data rows done), not from the start.
    expect(resumedFrom[0]).toMatch(/^khai-sinh-\[withheld\]\.csv rows 12-/);
    expect(readdirSync(dir)).toContain(VALID);
  });
});
