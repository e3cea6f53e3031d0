import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectorCatalog, loadDefinitionFile } from '../src/connectors/definition/connector-catalog.js';
import { CONNECTOR_SCHEMA_FILE, connectorSchemaText } from '../src/connectors/definition/connector-schema.file.js';
import { DefinitionInvalidError } from '../src/connectors/definition/definition-invalid.error.js';
import { serializeError } from '../src/observability/logger.js';

function writeDefinition(name: string, yaml: string): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'childhub-def-')), name);
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
  it('the four agency connectors validate', () => {
    const catalog = ConnectorCatalog.load();
    expect(catalog.invalid.map((e) => e.message)).toEqual([]);
    expect(catalog.names().sort()).toEqual(['facility-inspection', 'health-station', 'justice-register', 'school']);
    for (const c of catalog.list()) {
      expect(c.mappingHash).toMatch(/^[\w-]{43}$/);
      expect(readFileSync(c.file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../connector.schema.json');
    }
  });

  it('reads a connector defined after the catalog was loaded (getOrLoad), and only that one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'childhub-catalog-'));
    const copy = (name: string, edit: (yaml: string) => string = (y) => y) => {
      mkdirSync(path.join(dir, name), { recursive: true });
      const yaml = readFileSync(path.join(path.dirname(ConnectorCatalog.load().get('school').file), 'connector.yaml'), 'utf8');
      writeFileSync(path.join(dir, name, 'connector.yaml'), edit(yaml.replace(/^name: school$/m, `name: ${name}`)));
    };
    copy('school');
    const catalog = ConnectorCatalog.load(dir);
    expect(catalog.names()).toEqual(['school']);
    const before = catalog.get('school');
    copy('school', (y) => y.replace('title: Education-sector', 'title: Edited'));
    copy('school-2');
    copy('school-3', (y) => y.replace('kind: http', 'kind: carrier-pigeon'));
    expect(() => catalog.get('school-2')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    expect(catalog.getOrLoad('school-2').definition.name).toBe('school-2');
    expect(catalog.get('school-2').definition.name).toBe('school-2');
    // Known connectors keep the definition this process loaded.
    expect(catalog.getOrLoad('school')).toBe(before);
    expect(() => catalog.getOrLoad('school-3')).toThrow(expect.objectContaining({ code: 'CONNECTOR_DEFINITION_INVALID' }));
    expect(() => catalog.getOrLoad('nope')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    expect(() => catalog.getOrLoad('../school')).toThrow(expect.objectContaining({ code: 'CONNECTOR_NOT_FOUND' }));
    // A definition fixed since it was found invalid is taken.
    copy('school-3');
    expect(catalog.getOrLoad('school-3').definition.name).toBe('school-3');
    expect(catalog.invalid).toEqual([]);
  });

  it('a name it does not know reads the whole folder again: the known list is current, and invalid definitions are told', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'childhub-catalog-'));
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
    expect(() => catalog.getOrLoad('nope', (e) => told.push(e))).toThrow('no connector named "nope" (known: agency-a, school)');
    expect(told.map((e) => e.file)).toEqual([expect.stringMatching(/agency-z\/connector\.yaml$/)]);
    expect(told[0]!.message).toMatch(/connector\.yaml:\d+:\d+ \(definition\): Unrecognized key: "frequency"/);
    expect(catalog.invalid).toEqual(told);
    // Found already: no second reading, nothing told.
    expect(catalog.getOrLoad('agency-a', (e) => told.push(e)).definition.name).toBe('agency-a');
    expect(told).toHaveLength(1);
  });

  it('logs and run history keep an invalid definition\'s problems whole: configuration, not a record\'s data', () => {
    const err = problemsOf(writeDefinition('x', 'name: x\nsourceSystem: school\ntitle: x\nkind: file\nfrequency: hourly\nfile: { directory: d }\nrecords: [{ externalId: { from: id } }]\n'));
    expect(serializeError(err).message).toContain('Unrecognized key: "frequency"');
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

  it('refuses a kind without its section and a name that is not the folder', () => {
    const file = writeDefinition('drops', 'name: other\nsourceSystem: justice-register\ntitle: T\nkind: file\nrecords:\n  - externalId: { from: id }\n');
    const err = problemsOf(file);
    expect(err.problems.map((p) => p.path)).toContain('file');
    const named = writeDefinition('drops2', [
      'name: other', 'sourceSystem: justice-register', 'title: T', 'kind: file', 'file: { directory: /tmp }', 'records:', '  - externalId: { from: id }', '',
    ].join('\n'));
    expect(problemsOf(named).problems).toEqual([expect.objectContaining({ path: 'name', message: expect.stringContaining('folder name') })]);
  });

  it('refuses YAML that does not parse, with its line', () => {
    const err = problemsOf(writeDefinition('bad-yaml', 'name: bad-yaml\ntitle: [unclosed\n'));
    expect(err.problems[0]).toMatchObject({ path: '(yaml)' });
    expect(err.problems[0]!.line).toBeGreaterThan(0);
  });
});
