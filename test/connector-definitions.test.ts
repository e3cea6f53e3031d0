import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog, loadDefinitionFile, logInvalidDefinition } from '../src/connectors/definition/connector-catalog.js';
import { CONNECTOR_SCHEMA_FILE, connectorSchemaText } from '../src/connectors/definition/connector-schema.file.js';
import { connectorDefinitionSchema } from '../src/connectors/definition/connector-definition.schema.js';
import { DefinitionInvalidError } from '../src/connectors/definition/definition-invalid.error.js';
import { CREDENTIAL_NAME_PATTERN, isCredentialName, urlCredentialProblems } from '../src/connectors/http/http.schema.js';
import { compileRecordMapper } from '../src/connectors/mapping/record-mapper.js';
import { serializeError } from '../src/observability/logger.js';
import { tempDir } from './support/temp-dir.js';

function writeDefinition(name: string, yaml: string): string {
  const dir = path.join(tempDir('childhub-def-'), name);
  mkdirSync(dir);
  const file = path.join(dir, 'connector.yaml');
  writeFileSync(file, yaml);
  return file;
}

function problemsOf(file: string): DefinitionInvalidError {
  try {
    loadDefinitionFile(file);
  } catch (err) {
    if (err instanceof DefinitionInvalidError) return err;
    throw err;
  }
  throw new Error('expected the definition to be refused');
}

describe('connector definitions', () => {
  it('health-station: a child assessed as disabled is in group d, with the assessment\'s type, whether or not the record carries the flag (QA: only the flag counted)', () => {
    const { definition } = ConnectorCatalog.load().get('health-station');
    const map = compileRecordMapper(definition.sourceSystem, definition.records);
    const assessment = (type: string) => ({
      resourceType: 'Observation', id: 'obs-1', status: 'final', effectiveDateTime: '2026-10-31',
      category: [{ coding: [{ system: 'urn:vn:byt:loai-kham-sang-loc', code: 'KHUYET_TAT' }] }],
      code: { coding: [{ code: 'XDKT' }] },
      component: [
        { code: { coding: [{ code: 'DANG_TAT' }] }, valueCodeableConcept: { coding: [{ code: type }] } },
        { code: { coding: [{ code: 'MUC_DO' }] }, valueCodeableConcept: { coding: [{ code: 'NHE' }] } },
      ],
    });
    const patient = (extension: unknown[], observations: unknown[]) => ({
      resourceType: 'Patient', id: 'p-1', meta: { lastUpdated: '2026-11-01T08:00:00+07:00' }, name: [{ text: 'Lê An' }], gender: 'male', birthDate: '2018-03-02',
      extension, identifier: [], address: [], contact: [], _include: { immunizations: [], observations },
    });
    const groupsOf = (data: Record<string, unknown>) => {
      const out = map({ data, recordType: 'child' });
      if (!out.ok) throw new Error(JSON.stringify(out.problems));
      return [out.record!.groups, out.projections.disability];
    };
    const flag = { url: 'urn:vn:byt:khuyet-tat', valueCode: 'VAN_DONG' };
    expect(groupsOf(patient([], [assessment('NHIN')]))).toEqual([[{ clause: 'd', subType: 'NHIN' }], [expect.objectContaining({ type: 'NHIN', severity: 'NHE' })]]);
    expect(groupsOf(patient([flag], [assessment('NHIN')]))[0]).toEqual([{ clause: 'd', subType: 'VAN_DONG' }]);
    expect(groupsOf(patient([flag], []))[0]).toEqual([{ clause: 'd', subType: 'VAN_DONG' }]);
    expect(groupsOf(patient([], []))[0]).toEqual([]);
  });

  it('the four agency connectors are there and validate, and so does every other definition folder present', () => {
    const catalog = ConnectorCatalog.load();
    expect(catalog.invalid.map((e) => e.message)).toEqual([]);
    // A folder added as docs/connectors.md describes is validated with the others, not refused for being there.
    const committed = ['facility-inspection', 'health-station', 'justice-register', 'school'];
    expect(catalog.names()).toEqual(expect.arrayContaining(committed));
    for (const c of catalog.list()) expect(c.mappingHash).toMatch(/^[\w-]{43}$/);
    for (const name of committed) {
      expect(readFileSync(catalog.get(name).file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../connector.schema.json');
    }
  });

  it('a connector as its file says now (current): added, edited, broken, fixed and removed definitions are taken without a restart', () => {
    const dir = tempDir('childhub-catalog-');
    const copy = (name: string, edit: (yaml: string) => string = (y) => y) => {
      mkdirSync(path.join(dir, name), { recursive: true });
      const yaml = readFileSync(path.join(path.dirname(ConnectorCatalog.load().get('school').file), 'connector.yaml'), 'utf8');
      writeFileSync(path.join(dir, name, 'connector.yaml'), edit(yaml.replace(/^name: school$/m, `name: ${name}`)));
    };
    copy('school');
    const catalog = ConnectorCatalog.load(dir);
    expect(catalog.names()).toEqual(['school']);
    const before = catalog.get('school');
    // Unchanged: the same definition, not read again.
    expect(catalog.current('school')).toBe(before);
    copy('school-2');
    copy('school-3', (y) => y.replace('kind: http', 'kind: carrier-pigeon'));
    expect(() => catalog.get('school-2')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    expect(catalog.current('school-2').definition.name).toBe('school-2');
    expect(catalog.get('school-2').definition.name).toBe('school-2');
    expect(() => catalog.current('school-3')).toThrow(expect.objectContaining({ code: 'CONNECTOR_DEFINITION_INVALID' }));
    expect(() => catalog.current('nope')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    expect(() => catalog.current('../school')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    // Edited (QA: a running worker kept the definition it started with until it was restarted), then disabled.
    copy('school', (y) => y.replace('title: Education-sector', 'title: Edited'));
    expect(catalog.current('school').definition.title).toMatch(/^Edited/);
    copy('school', (y) => y.replace(/^kind: http$/m, 'enabled: false\nkind: http'));
    expect(catalog.current('school').definition.enabled).toBe(false);
    // Broken by an edit: refused naming its problems, out of the list until it is fixed.
    copy('school', (y) => y.replace('kind: http', 'kind: carrier-pigeon'));
    expect(() => catalog.current('school')).toThrow(expect.objectContaining({ code: 'CONNECTOR_DEFINITION_INVALID' }));
    expect(catalog.names()).toEqual(['school-2']);
    copy('school');
    copy('school-3');
    expect(catalog.current('school-3').definition.name).toBe('school-3');
    expect(catalog.names()).toEqual(['school', 'school-2', 'school-3']);
    expect(catalog.invalid).toEqual([]);
    // Removed: forgotten, and refused as unknown.
    rmSync(path.join(dir, 'school-2'), { recursive: true });
    expect(() => catalog.current('school-2')).toThrow('no connector named "school-2" (known: school, school-3)');
    expect(catalog.refresh()).toBe(false);
  });

  it('a name it does not know reads the whole folder again: the known list is current, and invalid definitions are told once', () => {
    const dir = tempDir('childhub-catalog-');
    const yaml = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const write = (name: string, text: string) => {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, 'connector.yaml'), text.replace(/^name: school$/m, `name: ${name}`));
    };
    write('school', yaml);
    const catalog = ConnectorCatalog.load(dir);
    // Added while the process runs: a valid one, and one with an unknown key.
    write('agency-a', yaml);
    write('agency-z', yaml.replace(/^schedule: .*$/m, 'schedule: "* * * * *"\nfrequency: hourly'));
    const told: DefinitionInvalidError[] = [];
    expect(() => catalog.current('nope', (e) => told.push(e))).toThrow('no connector named "nope" (known: agency-a, agency-z, school)');
    expect(told.map((e) => e.file)).toEqual([expect.stringMatching(/agency-z\/connector\.yaml$/)]);
    expect(told[0]!.message).toMatch(/connector\.yaml:\d+:\d+ frequency: is not a known setting here \(misspelt\?\)/);
    expect(catalog.invalid).toEqual(told);
    // Found already: no second reading, nothing told; the invalid one unchanged is not told again.
    expect(catalog.current('agency-a', (e) => told.push(e)).definition.name).toBe('agency-a');
    expect(() => catalog.current('nope', (e) => told.push(e))).toThrow('no connector named "nope"');
    expect(told).toHaveLength(1);
    // Logged once per reading in a process, whoever logs it (QA: the demo's gateway and worker both did).
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (l: string) => lines.push(l) });
    logInvalidDefinition(logger, told[0]!);
    logInvalidDefinition(logger, catalog.invalid[0]!);
    expect(lines).toHaveLength(1);
    write('agency-z', yaml.replace(/^schedule: .*$/m, 'schedule: "* * * * *"\nfrequenz: hourly'));
    catalog.refresh();
    logInvalidDefinition(logger, catalog.invalid[0]!);
    expect(lines).toHaveLength(2);
  });

  it('logs and run history keep an invalid definition\'s problems whole: configuration, not a record\'s data', () => {
    const err = problemsOf(writeDefinition('x', 'name: x\nsourceSystem: school\ntitle: x\nkind: file\nfrequency: hourly\nfile: { directory: d }\nrecords: [{ externalId: { from: id } }]\n'));
    expect(serializeError(err).message).toContain('frequency: is not a known setting here (misspelt?)');
  });

  it('the published JSON Schema matches the code (run `npm run childhub -- connectors schema` after changing it)', () => {
    expect(readFileSync(CONNECTOR_SCHEMA_FILE, 'utf8')).toBe(connectorSchemaText());
  });

  it('refuses a literal secret, a bad path and a missing section, naming line, path and reason', () => {
    const file = writeDefinition('broken', [
      'name: broken',
      'sourceSystem: school',
      'title: Broken',
      'kind: http',
      'http:',
      '  baseUrl: http://127.0.0.1:1',
      '  auth:',
      '    type: apiKey',
      '    header: X-Api-Key',
      '    value: "s3cr3t-in-a-file"',
      '  request: { path: /x }',
      '  records: data',
      '  pagination: { type: none }',
      'records:',
      '  - externalId: { from: "a..b" }',
      '',
    ].join('\n'));
    const err = problemsOf(file);
    expect(err.code).toBe('CONNECTOR_DEFINITION_INVALID');
    const byPath = new Map(err.problems.map((p) => [p.path, p]));
    expect(byPath.get('http.auth.value')).toMatchObject({ line: 10 });
    expect([...byPath.keys()].some((p) => p.startsWith('records.0.externalId'))).toBe(true);
    expect(err.message).toContain('connector.yaml:10');
    // The literal never appears in the error.
    expect(err.message).not.toContain('s3cr3t');
  });

  it('says what is wrong in words a definition writer can act on: secrets, missing settings, clause letters, paths', () => {
    const file = writeDefinition('wordy', [
      'name: wordy',
      'sourceSystem: school',
      'title: Wordy',
      'kind: http',
      'http:',
      '  baseUrl: http://127.0.0.1:1',
      '  auth: { type: basic, username: u, password: "abc" }',
      '  request: { path: /x }',
      '  records: "."',
      '  pagination: { type: none }',
      '  incremental: { param: since, cursorField: "updated_at[" }',
      '  timeoutMs: 3000000000',
      'records:',
      '  - externalId: { from: id }',
      '    groups:',
      '      - clause: z',
      '    projections:',
      '      schoolEnrolment:',
      '        - fields:',
      '            status: { from: gioi_tinh, map: { "Nam": STUDYNG } }',
      '',
    ].join('\n'));
    const err = problemsOf(file);
    expect(err.problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '7 http.auth.password: a secret must be a reference to an environment variable, { env: NAME }: literal values are refused (set the variable where the hub runs)',
      expect.stringMatching(/^9 http\.records: invalid path "\." at 1: a key is missing before "\."/),
      expect.stringMatching(/^11 http\.incremental\.cursorField: invalid path "updated_at\[" at 11: unclosed "\["/),
      '12 http.timeoutMs: must be at most 600000 (10 minutes)',
      '16 records.0.groups.0.clause: must be a clause letter (a, b, c, d, đ, e, g, h, i, k, l, m, n, o) or a value giving one, e.g. { from: column, map: { … } }',
      '20 records.0.projections.schoolEnrolment.0.fields.studentCode: is required',
      '20 records.0.projections.schoolEnrolment.0.fields.status.map.Nam: "STUDYNG" is not a value this field takes: allowed STUDYING, DROPPED_OUT',
    ]);
    expect(err.message).toMatch(/connector\.yaml:9:\d+ http\.records: invalid path/);
    expect(err.message).not.toContain('abc');
  });

  it('says a value of the wrong kind once, in the definition\'s words: what it must be and what it got (QA: `from: []` told zod\'s wording and "a path is empty")', () => {
    const file = writeDefinition('kinds', [
      'name: kinds', 'sourceSystem: justice-register', 'title: [T]', 'kind: file', 'file: { directory: /tmp, chunkRows: many }',
      'records:', '  - externalId: { from: [], required: yes please }', '    fields: { fullName: { from: { a: 1 } } }', '',
    ].join('\n'));
    expect(problemsOf(file).problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '3 title: must be text; got a list',
      '5 file.chunkRows: must be a number; got text',
      '7 records.0.externalId.from: must be text; got a list',
      '7 records.0.externalId.required: must be true or false; got text',
      '8 records.0.fields.fullName.from: must be text; got a map',
    ]);
  });

  it('shows the reasons of a value inside a union (a clause given as a value)', () => {
    const file = writeDefinition('clauses', [
      'name: clauses', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }',
      'records:', '  - externalId: { from: id }', '    groups:', '      - clause: { from: hoan_canh, parse: letter }', '',
    ].join('\n'));
    expect(problemsOf(file).problems).toEqual([
      expect.objectContaining({ path: 'records.0.groups.0.clause.parse', line: 9, message: expect.stringMatching(/^must be one of text, name, sex, date, /) }),
    ]);
  });

  it('says how to fix what zod words its way: a setting of several forms, a bound, a closed list, a fraction, a secret\'s default (QA)', () => {
    const file = writeDefinition('words', [
      'name: words', 'sourceSystem: justice-register', 'title: T', 'kind: file',
      'file: { directory: /tmp, settleSeconds: zero, chunkRows: 1.5, headerRow: 0, format: excel, csv: { delimiter: "" } }',
      'records:', '  - externalId: { from: id }', '    sheet: 0', '    groups: [{ clause: a, subType: { from: x, formats: [] } }]', '',
    ].join('\n'));
    expect(problemsOf(file).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'file.settleSeconds: must be a whole number of seconds from 0 to 86400, or { env: NAME, default: "60" }',
      'file.chunkRows: must be a whole number, not a fraction',
      'file.headerRow: must be at least 1',
      'file.format: must be one of auto, csv, xlsx',
      'file.csv.delimiter: delimiter must be a single character',
      'records.0.sheet: must be more than 0',
      'records.0.groups.0.subType.formats: must list at least one entry',
      'records.0.groups.0.subType.formats: `formats` needs parse: date or datetime',
    ]);
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const withDefault = problemsOf(writeDefinition('school', school.replace('value: { env: SCHOOL_API_KEY }', 'value: { env: SCHOOL_API_KEY, default: "sk-LIVE-abc123" }')));
    expect(withDefault.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'http.auth.value.default: a secret takes no default (it would be written in the file): set the variable where the hub runs',
    ]);
    expect(withDefault.message).not.toContain('sk-LIVE');
    const sized = problemsOf(writeDefinition('school', school.replace(/^ {2}timeoutMs: \d+$/m, '  timeoutMs: 0')));
    expect(sized.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['http.timeoutMs: must be more than 0']);
  });

  it('refuses a kind without its section and a name that is not the folder (reported with the other problems)', () => {
    const file = writeDefinition('drops', 'name: other\nsourceSystem: justice-register\ntitle: T\nkind: file\nrecords:\n  - externalId: { from: id }\n');
    const err = problemsOf(file);
    expect(err.problems.map((p) => p.path)).toEqual(['file', 'name']);
    const named = writeDefinition('drops2', [
      'name: other', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }', 'records:', '  - externalId: { from: id }', '',
    ].join('\n'));
    expect(problemsOf(named).problems).toEqual([expect.objectContaining({ path: 'name', message: expect.stringContaining('folder name') })]);
  });

  it('refuses removals on a file connector, and a full-read schedule on a connector that is not incremental or is not a cron pattern', () => {
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    expect(school).toMatch(/fullReadSchedule: "[^"]+"/);
    // Without `http.incremental` every sync reads the whole source: a full-read schedule would add nothing.
    const notIncremental = school.replace(/^ {2}incremental:\n(?: {4}.*\n)+/m, '');
    expect(notIncremental).not.toContain('incremental:');
    expect(problemsOf(writeDefinition('school', notIncremental)).problems).toEqual([
      expect.objectContaining({ path: 'removals.fullReadSchedule', message: expect.stringContaining('only applies with http.incremental') }),
    ]);
    expect(problemsOf(writeDefinition('school', school.replace(/fullReadSchedule: "[^"]+"/, 'fullReadSchedule: "weekly"'))).problems).toEqual([
      expect.objectContaining({ path: 'removals.fullReadSchedule', message: expect.stringContaining('cron pattern of 5 fields') }),
    ]);
    // The values, as the workers' scheduler reads them: refused here rather than only logged by a worker.
    const refused = problemsOf(writeDefinition('school', school.replace(/fullReadSchedule: "[^"]+"/, 'fullReadSchedule: "61 2 * * 0"').replace(/^schedule: "[^"]+"/m, 'schedule: "*/30 25 * * *"')));
    expect(refused.problems).toEqual([
      expect.objectContaining({ path: 'schedule', message: 'is not a cron pattern the scheduler accepts: Constraint error, got value 25 expected range 0-23' }),
      expect.objectContaining({ path: 'removals.fullReadSchedule', message: 'is not a cron pattern the scheduler accepts: Constraint error, got value 61 expected range 0-59' }),
    ]);
    // A step that only ever takes the first value: the scheduler accepts it and runs once an hour (a day) (QA).
    const stepped = problemsOf(writeDefinition('school', school.replace(/fullReadSchedule: "[^"]+"/, 'fullReadSchedule: "0 */30 * * *"').replace(/^schedule: "[^"]+"/m, 'schedule: "*/70 * * * *"')));
    expect(stepped.problems).toEqual([
      expect.objectContaining({ path: 'schedule', message: 'has the step */70 in its minute field, which only ever takes minute 0 (a step does not carry over into the next hour): it would run once an hour, not every 70; list the values it should run at instead (minute 0–59, such as 0,20,40)' }),
      expect.objectContaining({ path: 'removals.fullReadSchedule', message: expect.stringContaining('has the step */30 in its hour field, which only ever takes hour 0') }),
    ]);
    expect(problemsOf(writeDefinition('school', school.replace(/^schedule: "[^"]+"/m, 'schedule: "0 0 * * */7"'))).problems).toEqual([
      expect.objectContaining({ path: 'schedule', message: expect.stringMatching(/step \*\/7 in its day-of-week field, which only ever takes day-of-week 0 .* \(day-of-week 0–6, such as 1,3,5\)$/) }),
    ]);
    for (const fine of ['*/59 * * * *', '0 */12 * * *', '0 0 1 */6 *', '30 5-10/5 * * *', '0 0 * * */3', '0 0 * * 1-7/3', '*/30 * * * * *']) {
      expect(() => loadDefinitionFile(writeDefinition('school', school.replace(/^schedule: "[^"]+"/m, `schedule: "${fine}"`))), fine).not.toThrow();
    }
    expect(problemsOf(writeDefinition('school', school.replace(/^schedule: "[^"]+"/m, 'schedule: "*/90 * * * * *"'))).problems).toEqual([
      expect.objectContaining({ path: 'schedule', message: expect.stringContaining('step */90 in its second field') }),
    ]);
    const drops = writeDefinition('drops', [
      'name: drops', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }', 'removals: { maxShare: 0.1 }',
      'records:', '  - externalId: { from: id }', '',
    ].join('\n'));
    expect(problemsOf(drops).problems).toEqual([expect.objectContaining({ path: 'removals', message: expect.stringContaining('only applies when kind is http') })]);
    // Told with the definition's other problems, not once they are fixed (QA).
    const many = writeDefinition('many', [
      'name: many', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'titel: typo',
      'file: { directory: /tmp, sheets: [{ sheet: A, recordType: childd }] }', 'removals: { maxShare: 0.1 }',
      'records:', '  - externalId: { from: id }', '    fields: { sex: { value: Q } }', '',
    ].join('\n'));
    expect(problemsOf(many).problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '5 titel: is not a known setting here (misspelt? title is)',
      '6 file.sheets.0.recordType: has no mapping in records (record types: child)',
      '7 removals: only applies when kind is http: a file drop is not known to hold every record of its source',
      '10 records.0.fields.sex.value: "Q" is not a value this field takes: expected Nam/Nữ, 1/2, M/F or male/female; got text of 1 character (letters) (stored as MALE or FEMALE: the hub records no other)',
    ]);
    // An entry that is no mapping at all is not counted as one (QA re-check: it was told a repeat of the next).
    const odd = writeDefinition('odd', ['name: odd', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }', 'records:', '  - 5', '  - externalId: { from: id }', ''].join('\n'));
    expect(problemsOf(odd).problems.map((p) => p.path)).toEqual(['records.0']);
  });

  it('refuses a file mapping reading one column two ways a header row cannot tell apart, and optional columns that cannot be optional (QA re-check)', () => {
    const head = ['sourceSystem: justice-register', 'title: T', 'kind: file'];
    const twice = writeDefinition('twice', [
      'name: twice', ...head, 'file: { directory: /tmp }', 'records:',
      '  - externalId: { from: "Mã hồ sơ" }', '    fields: { fatherName: { from: "Họ tên cha" }, carerName: { from: "HỌ TÊN  CHA" } }', '',
    ].join('\n'));
    expect(problemsOf(twice).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'records.0: reads the column «HỌ TÊN  CHA», and also «Họ tên cha»: a file\'s header row cannot tell them apart (headers are matched to the columns up to letter case and spacing); write the column one way',
    ]);
    const optional = writeDefinition('optional', [
      'name: optional', ...head,
      'file: { directory: /tmp, optionalColumns: ["mã HỒ SƠ", "Ngày  sinh", "Ghi chú", "Không có", "GHI  chú"] }', 'records:',
      '  - externalId: { from: "Mã hồ sơ" }',
      '    fields: { birthDate: { from: "Ngày sinh", required: true } }',
      '    projections: { birthRegistration: [{ fields: { registrationNumber: { from: "Số đăng ký" }, note: { from: "Ghi chú" } } }] }', '',
    ].join('\n'));
    expect(problemsOf(optional).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'file.optionalColumns.0: «Mã hồ sơ» is a record id\'s column: a file without it is refused whatever this list says (MISSING_ID_COLUMN); remove it',
      'file.optionalColumns.1: «Ngày sinh» is read by a value marked required: a file without it would have every row quarantined (REQUIRED) with its personal data; remove it, or the value\'s `required`',
      'file.optionalColumns.3: «Không có» is no column the mappings read (in any letter case or spacing): nothing to make optional',
      'file.optionalColumns.4: «GHI  chú» is listed already, at file.optionalColumns.2 (in any letter case or spacing): remove one',
    ]);
  });

  it('refuses an optional path the mappings do not read, telling a path within `each` its listed name (QA third round: silently without effect)', () => {
    const optional = writeDefinition('optional-paths', [
      'name: optional-paths', 'sourceSystem: health-station', 'title: T', 'kind: http',
      'http:', '  baseUrl: https://example.test', '  request: { path: /Patient }', '  records: entry', '  pagination: { type: none }',
      '  optionalPaths: [" $.ho_ten ", "tiem[*] » performer", "tiem[*]", "performer", "ho_tenn", "khac[*] » performer", "gioi_tinh", "tiem[*]»performer"]',
      'records:',
      '  - externalId: { from: id }',
      '    fields: { fullName: { from: ho_ten } }',
      '    groups: [{ clause: d, when: { from: khuyet_tat, equals: true } }]',
      '    projections: { vaccination: [{ each: "tiem[*]", fields: { vaccineCode: { from: ma }, status: { value: COMPLETED }, performer: { from: performer } } }] }', '',
    ].join('\n'));
    expect(problemsOf(optional).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'http.optionalPaths.3: «performer» is read within a projection\'s each: list it with its each, as «tiem[*] » performer»',
      'http.optionalPaths.4: «ho_tenn» is no path the mappings read: nothing to make optional',
      'http.optionalPaths.5: «khac[*] » performer» is read within a projection\'s each: list it with its each, as «tiem[*] » performer»',
      'http.optionalPaths.6: «gioi_tinh» is no path the mappings read: nothing to make optional',
      'http.optionalPaths.7: «tiem[*]»performer» is listed already, at http.optionalPaths.1: remove one',
    ]);
    // A repeat is told beside a problem of the records section, which keeps the other entries from being judged (QA re-check).
    const broken = writeDefinition('optional-broken', readFileSync(optional, 'utf8').replace('name: optional-paths', 'name: optional-broken')
      .replace(/optionalPaths: .*/, 'optionalPaths: [ho_ten, " $.ho_ten"]').replace('fullName: { from: ho_ten }', 'fullName: { from: ho_ten, required: maybe }'));
    expect(problemsOf(broken).problems.map((p) => `${p.path}: ${p.message}`)).toContainEqual('http.optionalPaths.1: «$.ho_ten» is listed already, at http.optionalPaths.0: remove one');
    // Whatever the problem: a value of the wrong type, the records section not a list (QA re-check: not told then).
    const brokenYaml = readFileSync(broken, 'utf8');
    for (const yaml of [brokenYaml.replace('required: maybe', 'formats: 5'), brokenYaml.replace(/^records:[\s\S]*$/m, 'records: 5\n')]) {
      expect(yaml).not.toBe(brokenYaml);
      const typed = writeDefinition('optional-broken', yaml);
      expect(problemsOf(typed).problems.map((p) => `${p.path}: ${p.message}`), yaml).toContainEqual('http.optionalPaths.1: «$.ho_ten» is listed already, at http.optionalPaths.0: remove one');
    }
    // Beside an entry that is not text (left alone: not told before), in either list.
    const untyped = problemsOf(writeDefinition('optional-broken', brokenYaml.replace('optionalPaths: [ho_ten, " $.ho_ten"]', 'optionalPaths: [ho_ten, 5, " $.ho_ten"]')));
    expect(untyped.problems.map((p) => p.path)).toContain('http.optionalPaths.1');
    expect(untyped.problems.map((p) => `${p.path}: ${p.message}`)).toContainEqual('http.optionalPaths.2: «$.ho_ten» is listed already, at http.optionalPaths.0: remove one');
    const columns = problemsOf(writeDefinition('optional-columns', [
      'name: optional-columns', 'sourceSystem: justice-register', 'title: T', 'kind: file',
      'file: { directory: /tmp, optionalColumns: ["Ghi chú", { x: 1 }, "GHI  CHÚ"] }', 'records:',
      '  - externalId: { from: "Mã hồ sơ" }', '    fields: { fullName: { from: "Ghi chú" } }', '',
    ].join('\n')));
    expect(columns.problems.map((p) => p.path)).toContain('file.optionalColumns.1');
    expect(columns.problems.map((p) => `${p.path}: ${p.message}`)).toContainEqual(
      'file.optionalColumns.2: «GHI  CHÚ» is listed already, at file.optionalColumns.0 (in any letter case or spacing): remove one');
    // A path read from the root within an each, listed with the each; a facility's paths, read though never judged (QA re-check).
    const rooted = writeDefinition('optional-rooted', readFileSync(optional, 'utf8').replace('name: optional-paths', 'name: optional-rooted')
      .replace(/optionalPaths: .*/, 'optionalPaths: ["tiem[*] » $.ho_ten", "tiem[*] »ho_ten"]'));
    expect(problemsOf(rooted).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'http.optionalPaths.0: «tiem[*] » $.ho_ten» is read from the record\'s root: list it without an each, as «ho_ten»',
      // The same path however it is spaced: listed once.
      'http.optionalPaths.1: «tiem[*] »ho_ten» is listed already, at http.optionalPaths.0: remove one',
    ]);
    const facility = writeDefinition('optional-facility', [
      'name: optional-facility', 'sourceSystem: facility-inspection', 'title: T', 'kind: http',
      'http:', '  baseUrl: https://example.test', '  request: { path: /co-so }', '  records: data', '  pagination: { type: none }',
      '  optionalPaths: ["dot_kiem_tra[*] » ngay", "dot_kiem_tra[*]", ten, ngay, khac]',
      'records:',
      '  - recordType: facility',
      '    externalId: { from: ma }',
      '    projections:',
      '      facility: [{ fields: { code: { from: ma }, name: { from: ten }, type: { value: OTHER }, licenceStatus: { value: UNKNOWN } } }]',
      '      inspection: [{ each: "dot_kiem_tra[*]", fields: { facilityCode: { from: $.ma }, reportNumber: { from: so }, inspectedOn: { from: ngay } } }]', '',
    ].join('\n'));
    expect(problemsOf(facility).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'http.optionalPaths.3: «ngay» is read within a projection\'s each: list it with its each, as «dot_kiem_tra[*] » ngay»',
      'http.optionalPaths.4: «khac» is no path the mappings read: nothing to make optional',
    ]);
  });

  it('validates a draft kept outside its folder, noting the folder-name rule instead of failing on it', () => {
    const yaml = ['name: other', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }', 'records:', '  - externalId: { from: id }', ''];
    const file = writeDefinition('tmp', yaml.join('\n'));
    const loaded = loadDefinitionFile(file, { folderName: 'note', connectorsDir: path.join(PROJECT_ROOT, 'connectors') });
    expect(loaded.definition.name).toBe('other');
    expect(loaded.notes).toEqual([
      { path: 'name', line: 1, column: 7, message: 'must equal the folder name "tmp" (connectors are found by folder): put the file at connectors/other/connector.yaml' },
    ]);
    expect(loadDefinitionFile(writeDefinition('other', yaml.join('\n')), { folderName: 'note' }).notes).toEqual([]);
    // A folder that cannot be a name is not offered as one (QA: "My_Conn" was asked for, which the name rule refuses).
    expect(loadDefinitionFile(writeDefinition('My_Conn', yaml.join('\n')), { folderName: 'note', connectorsDir: path.join(PROJECT_ROOT, 'connectors') }).notes[0]!.message)
      .toBe('must equal its folder\'s name (connectors are found by folder), and "My_Conn" cannot be one: put the file at connectors/other/connector.yaml');
    // The hint names where connectors are found, wherever that is (QA: it said connectors/… when CONNECTORS_DIR was elsewhere).
    expect(loadDefinitionFile(file, { folderName: 'note', connectorsDir: '/srv/hub/definitions' }).notes[0]!.message)
      .toBe('must equal the folder name "tmp" (connectors are found by folder): put the file at /srv/hub/definitions/other/connector.yaml');
    const misplaced = writeDefinition('tmp', yaml.join('\n'));
    expect(() => loadDefinitionFile(misplaced)).toThrow(`put the file at ${path.join(path.dirname(path.dirname(misplaced)), 'other', 'connector.yaml')}`);
    // A name that cannot be one gets no place offered, nor is repeated (QA: "../../etc" was offered /etc/connector.yaml).
    for (const bad of ['"../../../etc"', '"hunter2 secret value"', 'Foo']) {
      const err = problemsOf(writeDefinition('foo', yaml.join('\n').replace('name: other', `name: ${bad}`)));
      expect(err.problems.map((p) => p.path)).toEqual(['name']);
      expect(err.message).not.toMatch(/put the file at|hunter2|etc/);
    }
    // A draft's other problems still fail it.
    const broken = writeDefinition('tmp', yaml.join('\n').replace('kind: file', 'kind: ftp'));
    expect(() => loadDefinitionFile(broken, { folderName: 'note' })).toThrow(DefinitionInvalidError);
  });

  it('a fault of the checks themselves leaves that definition invalid, saying so, and the other connectors listed (QA: a crash of one rule unlisted them all and stopped the gateway)', () => {
    const dir = tempDir('childhub-def-fault-');
    for (const name of ['good-one', 'faulty-one']) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'connector.yaml'), readFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), 'utf8').replace(/^name: school$/m, `name: ${name}`));
    }
    const real = connectorDefinitionSchema.safeParse.bind(connectorDefinitionSchema);
    const faulty = vi.spyOn(connectorDefinitionSchema, 'safeParse').mockImplementation(((input: unknown) => {
      if ((input as { name?: string }).name === 'faulty-one') throw new TypeError('Cannot read properties of null (reading \'recordType\')');
      return real(input);
    }) as typeof connectorDefinitionSchema.safeParse);
    try {
      const err = problemsOf(path.join(dir, 'faulty-one', 'connector.yaml'));
      expect(err.problems).toEqual([{
        path: '(definition)', line: null, column: null,
        message: 'could not be checked (Cannot read properties of null (reading \'recordType\')): a fault of the hub\'s, please report it with the file',
      }]);
      expect(() => loadDefinitionFile(path.join(dir, 'good-one', 'connector.yaml'))).not.toThrow();
      // Listed, the faulty one as invalid.
      const catalog = ConnectorCatalog.load(dir);
      expect(catalog.list().map((c) => c.definition.name)).toEqual(['good-one']);
    } finally {
      faulty.mockRestore();
    }
  });

  it('refuses YAML that does not parse, with its line', () => {
    const err = problemsOf(writeDefinition('bad-yaml', 'name: bad-yaml\ntitle: [unclosed\n'));
    expect(err.problems[0]).toMatchObject({ path: '(yaml)' });
    expect(err.problems[0]!.line).toBeGreaterThan(0);
  });

  it('tells a key given twice beside every other problem, not instead of them (QA)', () => {
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const lines = school.split('\n');
    const timeoutAt = lines.findIndex((l) => /^\s+timeoutMs:/.test(l));
    expect(timeoutAt).toBeGreaterThan(0);
    // The repeated key (its value a secret written literally, never repeated), a misspelt key and a bad kind.
    lines.splice(timeoutAt + 1, 0, lines[timeoutAt]!.replace(/timeoutMs:.*/, 'timeoutMs: Hunter2'));
    lines[timeoutAt] = lines[timeoutAt]!.replace(/timeoutMs:.*/, 'timeoutMs: 5000');
    const text = lines.join('\n').replace(/^sourceSystem: .*$/m, 'sourceSystem: tax-office').replace(/^title: /m, 'titel: ');
    const err = problemsOf(writeDefinition('school', text));
    expect(err.problems).toEqual(expect.arrayContaining([
      { path: '(yaml)', line: timeoutAt + 2, column: expect.any(Number), message: 'YAML syntax: a key given twice in the same map' },
      // The later value is checked, and its problem points at it (QA re-check: at the earlier, valid one).
      expect.objectContaining({ path: 'http.timeoutMs', line: timeoutAt + 2 }),
      expect.objectContaining({ path: 'sourceSystem' }),
      expect.objectContaining({ path: 'titel', message: 'is not a known setting here (misspelt? title is)' }),
    ]));
    expect(err.message).not.toContain('Hunter2');
    // A repeated key whose later value is an alias of the earlier one's anchor is still read (QA re-check).
    const aliased = lines.join('\n').replace(/^(\s+)retry: (.*)$/m, '$1retry: &r $2\n$1retry: *r');
    expect(aliased).toContain('retry: *r');
    const again = problemsOf(writeDefinition('school', aliased.replace(/^sourceSystem: .*$/m, 'sourceSystem: tax-office')));
    expect(again.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['(yaml)', 'sourceSystem', 'http.timeoutMs']));
    expect(again.problems.filter((p) => /alias/.test(p.message))).toEqual([]);
    // Problems come in the file's order, the repeated key among them.
    const at = err.problems.map((p) => p.line ?? 0);
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });

  it('refuses YAML it cannot read at the line and column, in its own words: never the text, which may be a secret (QA)', () => {
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const line = school.split('\n').findIndex((l) => l.includes('value: { env: SCHOOL_API_KEY }')) + 1;
    expect(line).toBeGreaterThan(0);
    const cases: Array<[string, string, RegExp]> = [
      ['*Hunter2', 'an alias (`*name`) that cannot be read', /\*/],          // an undefined alias: thrown when read, not a parse error
      ['|Hunter2', 'text YAML does not expect here', /[|]/],
      ['}Hunter2', 'text YAML does not expect here', /[}]/],
      ['"ab\\xZZHunter2"', 'an invalid escape sequence', /escape/],
      ['!x!Hunter2 foo', 'a tag (`!…`) YAML does not know', /tag/],
    ];
    for (const [value, says] of cases) {
      const err = problemsOf(writeDefinition('school', school.replace('value: { env: SCHOOL_API_KEY }', `value: ${value}`)));
      expect(err.problems[0], value).toMatchObject({ path: '(yaml)', line, column: expect.any(Number), message: expect.stringContaining(says) });
      expect(err.message, value).not.toContain('Hunter2');
      // The parser reports every token after a stray `}`: the first few lines are listed, then how many more.
      expect(err.problems.length, value).toBeLessThanOrEqual(6);
    }
    // A directory where the file should be is this connector's problem, not the catalog's.
    const dir = tempDir('childhub-defs-');
    mkdirSync(path.join(dir, 'folder-file', 'connector.yaml'), { recursive: true });
    mkdirSync(path.join(dir, 'aliased'));
    writeFileSync(path.join(dir, 'aliased', 'connector.yaml'), school.replace('name: school', 'name: aliased').replace('value: { env: SCHOOL_API_KEY }', 'value: *Hunter2'));
    mkdirSync(path.join(dir, 'school'));
    writeFileSync(path.join(dir, 'school', 'connector.yaml'), school);
    // A named pipe would block the reader until something writes to it (QA: the demo froze); a link to nothing is
    // refused, not passed over as if the connector were removed (QA).
    mkdirSync(path.join(dir, 'piped'));
    execFileSync('mkfifo', [path.join(dir, 'piped', 'connector.yaml')]);
    mkdirSync(path.join(dir, 'linked'));
    symlinkSync(path.join(dir, 'nowhere.yaml'), path.join(dir, 'linked', 'connector.yaml'));
    // A link to itself, as the file and as the folder (QA: ELOOP threw out of every command reading the folder).
    mkdirSync(path.join(dir, 'looped'));
    symlinkSync('connector.yaml', path.join(dir, 'looped', 'connector.yaml'));
    symlinkSync('loop-folder', path.join(dir, 'loop-folder'));
    mkdirSync(path.join(dir, 'empty'));
    writeFileSync(path.join(dir, 'empty', 'connector.yaml'), '# nothing yet\n');
    const catalog = ConnectorCatalog.load(dir);
    expect(catalog.names()).toEqual(['school']);
    expect(catalog.invalid.map((e) => [path.basename(path.dirname(e.file)), e.problems[0]!.message])).toEqual([
      ['aliased', expect.stringContaining('an alias')], ['empty', 'the file is empty (or holds only comments)'], ['folder-file', 'is a directory, not a file'],
      ['linked', 'does not exist (or is a link to a file that does not)'],
      // The looping folder is listed as that connector's problem, not passed over (QA).
      ['loop-folder', 'cannot be read: its connector folder is a link that leads back to itself (or through too many links)'],
      ['looped', 'is a link that leads back to itself (or through too many links)'],
      ['piped', 'is not a regular file (a named pipe, socket or device)'],
    ]);
    expect(catalog.folderNames()).toContain('loop-folder');
    expect(catalog.refresh()).toBe(false); // read once, not again at every look
  });

  it('refuses credentials written in headers, query parameters or the base URL, as it does in auth, without repeating them (QA)', () => {
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const headers = 'headers: { Accept: application/json }';
    const params = 'params: { nam_hoc: "2026-2027" }';
    expect(school).toContain(headers);
    expect(school).toContain(params);
    const refused: Array<[string, string]> = [
      [school.replace(headers, 'headers: { Accept: application/json, Authorization: "Bearer sk-LIVE-abc123" }'), 'http.request.headers.Authorization'],
      [school.replace(headers, 'headers: { Accept: application/json, X-Api-Key: { env: X_KEY, default: "sk-LIVE-abc123" } }'), 'http.request.headers.X-Api-Key'],
      [school.replace(params, 'params: { nam_hoc: "2026-2027", api_key: "sk-LIVE-abc123" }'), 'http.request.params.api_key'],
      [school.replace(/^ {2}baseUrl: .*$/m, '  baseUrl: "https://admin:sk-LIVE-abc123@example.test/api"'), 'http.baseUrl'],
      [school.replace(/^ {2}baseUrl: .*$/m, '  baseUrl: { env: X_URL, default: "https://admin:sk-LIVE-abc123@example.test" }'), 'http.baseUrl'],
    ];
    refused.push(
      [school.replace(headers, 'headers: { Accept: application/json, X-Authorization: x, Ocp-Apim-Subscription-Key: y }'), 'http.request.headers.X-Authorization'],
      [school.replace(params, 'params: { nam_hoc: "2026-2027", private_key: sk-LIVE-abc123 }'), 'http.request.params.private_key'],
      [school.replace(/^ {4}path: (\S+)$/m, '    path: $1?api_key=sk-LIVE-abc123'), 'http.request.path'],
      [school.replace(/^ {2}baseUrl: .*$/m, '  baseUrl: "https://example.test/api?token=sk-LIVE-abc123"'), 'http.baseUrl'],
    );
    for (const [yaml, at] of refused) {
      const err = problemsOf(writeDefinition('school', yaml));
      expect(err.problems.map((p) => p.path)[0], at).toBe(at);
      expect(err.message).not.toContain('sk-LIVE');
    }
    // By what the name names (its last word), not by letters: paging tokens, sort and cache keys, types and flags are
    // no credentials; joined and numbered spellings of credentials are (QA, twice).
    const credentials = ['Authorization', 'AWSAccessKeyId', 'awsAccessKeyId', 'awsaccesskeyid', 'AWSACCESSKEYID', 'accesskeyid', 'ASP.NET_SessionId', 'X-Authorization', 'Cookie', 'X-Api-Key', 'X-API-KEY', 'apiKey', 'APIKey', 'apiKeys', 'x-api-key2', 'X-Api-Key-Value',
      'X-Private-Key', 'Ocp-Apim-Subscription-Key', 'X-Auth-Token', 'api_key', 'access_key', 'private_key', 'key', 'token', 'access_token', 'accessToken',
      'authtoken', 'accesstoken', 'apitoken', 'secret', 'client_secret', 'clientsecret', 'clientSecret', 'privatekey', 'subscriptionkey', 'password',
      'passphrase', 'X-Passphrase', 'signature', 'sig', 'jwt', 'X-JWT-Assertion', 'sessionid', 'JSESSIONID', 'X-Session-Id',
      'x-functions-key', 'user_key', 'userkey', 'hapikey', 'X-Key', 'pass', 'X-Auth-Pass', 'PHPSESSID', 'sid', 'client_assertion', 'mat_khau', 'matKhau', 'ma_bi_mat', 'khoa_bi_mat', 'maBiMat', 'bimat', 'mabimat', 'khoabimat', 'nhapmatkhau'];
    const ordinaryNames = ['Accept', 'nam_hoc', '_count', 'pageToken', '$skipToken', '$skiptoken', 'deltaToken', 'next_token', 'after_token', 'page_token_hint',
      'tokens_per_page', 'token_type', 'secretariat', 'session', 'Idempotency-Key', 'sort_key', 'sortKey', 'partition_key', 'X-Cache-Key', 'X-Request-Key',
      'auth_type', 'X-Auth-Method', 'signature_required', 'has_signature', 'X-Signature-Version', 'cookie_consent', 'keyword', 'monkey', 'X-Request-Id',
      'resumptionToken', 'pagination_token', 'PaginationToken', 'max_tokens', 'keys', 'client_id', 'X-Correlation-Id', 'If-None-Match', '_lastUpdated', 'ma_tinh', 'ma_khoa', 'mat', 'bi'];
    expect(credentials.filter((n) => !isCredentialName(n))).toEqual([]);
    expect(ordinaryNames.filter((n) => isCredentialName(n))).toEqual([]);
    // The JSON Schema's pattern judges names as the code does (editors refuse the same literals), in every spelling.
    const pattern = new RegExp(CREDENTIAL_NAME_PATTERN, 'u');
    const spellings = ['NEXTTOKEN', 'nextPageToken', 'kEy', 'passWord', 'has_jwt', 'use_auth', 'key_value', 'session_value_id', 'session_id_value', 'KEYVal',
      'sId', 'oauth2token', 'AUTHToken', 'X-Token', 'tokenString', 'pass2', 'Access-Key-Id', 'X-Amz-Signature', 'apikeys', 'x_keys', 'syncToken', 'X-CSRF-Token',
      'refresh_token', 'id_token', 'token_id', 'MatKhau', 'mat-khau', 'khau', 'X-API-KEY-VALUE', 'BiMat', 'BI_MAT', 'khoaBiMat2'];
    expect([...credentials, ...ordinaryNames, ...spellings].filter((n) => pattern.test(n) !== isCredentialName(n))).toEqual([]);
    const ordinary = school.replace(params, 'params: { nam_hoc: "2026-2027", pageToken: abc, tokens_per_page: 5, secretariat: x, session: 1, sort_key: name }')
      .replace(headers, 'headers: { Accept: application/json, Idempotency-Key: abc, X-Count: 12 }');
    expect(loadDefinitionFile(writeDefinition('school', ordinary)).definition.http?.request).toMatchObject({ params: { pageToken: 'abc' }, headers: { 'X-Count': 12 } });
    // A credential in a header's value, whatever its name; and in the token endpoint's URL (QA).
    // Told by what gave it away, the value's scheme or the name (QA: a `Bearer` value was told as a credential-named header).
    for (const [yaml, at, told] of [
      [school.replace(headers, 'headers: { Accept: application/json, X-Custom: "Bearer sk-LIVE-abc123" }'), 'http.request.headers.X-Custom', 'the value of header X-Custom is written as a credential (it starts with Bearer), so it must be'],
      [school.replace(headers, 'headers: { Accept: application/json, X-Custom: "  AWS4-HMAC-SHA256 Credential=sk-LIVE-abc123" }'), 'http.request.headers.X-Custom', 'the value of header X-Custom is written as a credential (it starts with AWS4-HMAC-SHA256), so it must be'],
      [school.replace(headers, 'headers: { Accept: application/json, X-Custom: { env: X_CUSTOM, default: "Bearer sk-LIVE-abc123" } }'), 'http.request.headers.X-Custom', 'the value of header X-Custom is written as a credential (it starts with Bearer), so it must be'],
      [school.replace(headers, 'headers: { Accept: application/json, X-Api-Key: 123456789 }'), 'http.request.headers.X-Api-Key', 'a header that carries credentials (X-Api-Key) must be'],
    ] as const) {
      const err = problemsOf(writeDefinition('school', yaml));
      expect(err.problems.map((p) => [p.path, p.message.startsWith(told)]), at).toEqual([[at, true]]);
      expect(err.message).not.toContain('sk-LIVE');
    }
    // The advice for a credential in the path's query string names the settings as they are spelt, and following it validates (QA:
    // "apiKey with in: query" was refused as an unknown setting).
    const inPath = problemsOf(writeDefinition('school', school.replace(/^ {4}path: (\S+)$/m, '    path: $1?apikey=sk-LIVE-abc123')));
    expect(inPath.problems.map((p) => p.message)).toEqual([
      'must not carry credentials in its query string (apikey): use auth: { type: apiKey, query: apikey, value: { env: NAME } }, or request.params: { apikey: { env: NAME } }',
    ]);
    const advised = school.replace(/^ {2}auth:\n(?: {4}.*\n)+/m, '  auth: { type: apiKey, query: apikey, value: { env: SCHOOL_API_KEY } }\n');
    expect(loadDefinitionFile(writeDefinition('school', advised)).definition.http?.auth).toEqual({ type: 'apiKey', query: 'apikey', value: { env: 'SCHOOL_API_KEY' } });
    const health = readFileSync(ConnectorCatalog.load().get('health-station').file, 'utf8');
    const tokenUrl = /^( +)tokenUrl: .*$/m;
    expect(health).toMatch(tokenUrl);
    const inToken = problemsOf(writeDefinition('health-station', health.replace(tokenUrl, '$1tokenUrl: "https://u:sk-LIVE-abc123@example.test/token?client_secret=sk-LIVE-abc123"')));
    expect(inToken.problems.map((p) => p.path)).toEqual(['http.auth.tokenUrl', 'http.auth.tokenUrl']);
    expect(inToken.message).not.toContain('sk-LIVE');
    // However the URL is written, as a URL parser reads it (QA: one slash, backslashes, leading spaces), and `;` in the query.
    for (const url of ['http:/u:sk-LIVE-abc123@example.test/token', 'http:\\\\u:sk-LIVE-abc123@example.test/token', '  http://u:sk-LIVE-abc123@example.test/token',
      'http://example.test/token?x=1;client_secret=sk-LIVE-abc123', 'http://example.test/token;jsessionid=sk-LIVE-abc123',
      'http://example.test/token%3Bjsessionid=sk-LIVE-abc123', 'http://example.test/token?AWSAccessKeyId=sk-LIVE-abc123']) {
      const err = problemsOf(writeDefinition('health-station', health.replace(tokenUrl, `$1tokenUrl: "${url}"`)));
      expect(err.problems.map((p) => p.path), url).toEqual(['http.auth.tokenUrl']);
      expect(err.message).not.toContain('sk-LIVE');
    }
    // A server's session in a path parameter is told as a session, however it is spelt (QA: `;sid=` was told to use an API key).
    // Named as written (QA re-check: every one was called `;jsessionid=`), a percent-encoded separator included (QA: `%3Bsid=` was named `;sid=`).
    for (const [url, name] of [['http://example.test/x;sid=sk-LIVE-abc123', ';sid='], ['http://example.test/x%3BJSESSIONID=sk-LIVE-abc123', '%3BJSESSIONID='],
      ['http://example.test/x;PHPSESSID=sk-LIVE-abc123', ';PHPSESSID='],
      // Beside an escape that does not decode (QA re-check: the segment was kept undecoded, and the request sent).
      ['http://example.test/x%E0%3Bjsessionid=sk-LIVE-abc123', '%3Bjsessionid='], ['http://example.test/x%E0%3Bsid%3Dsk-LIVE-abc123', '%3Bsid%3D'],
      ['http://example.test/x;%73id=sk-LIVE-abc123', ';%73id='],
      // Escaped twice, as a server that decodes twice reads it (QA: not seen, and the first page's failure named the path).
      ['http://example.test/x%253Bsid=sk-LIVE-abc123', '%253Bsid='], ['http://example.test/x%253Bsid%253Dsk-LIVE-abc123', '%253Bsid%253D'],
      ['http://example.test/x;%2573id=sk-LIVE-abc123', ';%2573id='],
      // In the query too (QA re-check: told to use an API key).
      ['http://example.test/x?PHPSESSID=sk-LIVE-abc123', 'PHPSESSID='], ['http://example.test/x?a=1&ASP.NET_SessionId=sk-LIVE-abc123', 'ASP.NET_SessionId=']]) {
      expect(urlCredentialProblems(url!), url).toEqual([`must not carry a session id (${name}): use auth with { env: NAME }`]);
    }
    expect(urlCredentialProblems('http://example.test/x%E0%3Bapi_key=sk-LIVE-abc123')).toEqual([expect.stringMatching(/^must not carry credentials in its path \(%3Bapi_key=\): .*query: api_key,/)]);
    expect(urlCredentialProblems('http://example.test/x;api_key=sk-LIVE-abc123')).toEqual([expect.stringMatching(/^must not carry credentials in its path \(;api_key=\)/)]);
    expect(urlCredentialProblems('http://example.test/x?api%255Fkey=sk-LIVE-abc123')).toEqual([expect.stringMatching(/^must not carry credentials in its query string \(api_key\)/)]);
    expect(urlCredentialProblems('http://example.test/x%253Bapi_key%253Dsk-LIVE-abc123')).toEqual([expect.stringMatching(/^must not carry credentials in its path \(%253Bapi_key%253D\): .*query: api_key,/)]);
    // Every one of them, a name with spaces decoded around it trimmed, and a name that is not a plain one not repeated (QA).
    expect(urlCredentialProblems('http://example.test/x%3Baccess_token=S;sid=T')).toEqual([
      expect.stringMatching(/^must not carry a session id \(;sid=\)/), expect.stringMatching(/^must not carry credentials in its path \(%3Baccess_token=\)/)]);
    expect(urlCredentialProblems('http://example.test/x%3B%20token%20=S')).toEqual([expect.stringContaining('query: token, value')]);
    for (const url of ['http://example.test/x;token:SECRET777=1', 'http://example.test/x?token:SECRET777=1']) {
      expect(urlCredentialProblems(url), url).toEqual([expect.stringMatching(/a parameter named like a credential: its name is not repeated\): use auth: \{ type: apiKey, query: <name>,/)]);
      expect(urlCredentialProblems(url).join(), url).not.toContain('SECRET777');
    }
    // A backslash ends the host as a slash does: an `@` after it is in the path, no user; a fragment is never sent; a
    // parameter without a value carries nothing (QA).
    for (const url of ['http://example.test\\api@v2/records', 'http://example.test/x#;jsessionid=abc', 'http://example.test/a;sid/1', 'http://example.test/a;jsessionid', 'http://example.test/a;PHPSESSID=/b']) {
      expect(urlCredentialProblems(url), url).toEqual([]);
    }
    // From the environment they are taken; other headers and parameters stay literals.
    const fromEnv = school.replace(headers, 'headers: { Accept: application/json, Authorization: { env: X_AUTHORIZATION } }')
      .replace(params, 'params: { nam_hoc: "2026-2027", api_key: { env: X_KEY } }');
    expect(loadDefinitionFile(writeDefinition('school', fromEnv)).definition.http?.request.headers).toMatchObject({ Accept: 'application/json' });
  });

  it('points at a misspelt key itself, and calls a missing setting of several forms required (QA)', () => {
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const lines = school.split('\n');
    const recordsLine = lines.findIndex((l) => /^ {2}records: /.test(l)) + 1;
    const misspelt = problemsOf(writeDefinition('school', school.replace(/^( {2})records: /m, '$1recrods: ')));
    expect(misspelt.problems).toContainEqual({ path: 'http.recrods', line: recordsLine, column: 3, message: 'is not a known setting here (misspelt? records is)' });
    const noBase = problemsOf(writeDefinition('school', school.replace(/^ {2}baseUrl: .*\n/m, '')));
    expect(noBase.problems).toContainEqual(expect.objectContaining({ path: 'http.baseUrl', message: 'is required' }));
  });
});
