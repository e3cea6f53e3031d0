import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHeaderSheet, addXlsxRow, excelDate, openWorkbook, type XlsxCell } from '../connectors/file-drop-writer.js';
import { ADOPTION_HEADERS, ADOPTION_SHEET } from '../connectors/justice-register/simulator.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

interface Reason {
  field: string;
  code: string;
  message: string;
}
interface Listed {
  externalId: string;
  reasons: Reason[];
}

/**
 * Reasons are of the class of the field they name (QA, data protection): a projection or group is mapped only
 * under its `when`, so which fields a record has reasons about told a disability (school) or an abandonment (the
 * adoption sheet) to roles granted neither. Real syncs: the school connector against a source serving the QA's
 * pupils, the justice register over an adoption sheet written for the test.
 */
describe('reasons of a class the caller lacks', () => {
  let hub: TestHub;
  let server: Server;
  let adoptionFile: string;
  const saved = { ...process.env };

  const template = (JSON.parse(readFileSync(new URL('../connectors/school/samples/hoc-sinh-page-1.json', import.meta.url), 'utf8')) as { data: Array<Record<string, unknown>> }).data[0]!;
  const pupil = (code: string, disabled: boolean, birth: string) => ({
    ...template, ma_dinh_danh_hoc_sinh: code, khuyet_tat: disabled, dang_khuyet_tat: { loai: 'x' }, ngay_sinh: birth,
  });
  // Both pupils of a pair have the same broken disability type (an object where text is expected); one is disabled.
  const pupils = [
    pupil('0100000001', true, '31/02/2015'), pupil('0100000002', false, '31/02/2015'), // also a bad birth date: both quarantined
    pupil('0100000003', true, '01/02/2015'), pupil('0100000004', false, '01/02/2015'), // QA's pair: only the disabled one is
  ];

  /** An adoption row with a registration date that is no date, and the child's circumstance before the adoption. */
  const adoption = (id: string, circumstance: string): XlsxCell[] => {
    const cells: Record<(typeof ADOPTION_HEADERS)[number], XlsxCell> = {
      'Mã hồ sơ': id, 'Số đăng ký': `${id.slice(-2)}/2026`, 'Quyển số': '01/2026', 'Ngày đăng ký': '31/02/2026', 'Nơi đăng ký': 'UBND xã Thanh Oai',
      'Mã xã nơi đăng ký': '10114', 'Số giấy chứng nhận nuôi con nuôi': `GCN-${id}`, 'Họ và tên con nuôi': 'Nguyễn Văn An', 'Ngày sinh con nuôi': excelDate('2020-05-04'),
      'Giới tính con nuôi': 'Nam', 'Số định danh cá nhân con nuôi': null, 'Hoàn cảnh con nuôi': circumstance, 'Họ tên cha nuôi': 'Trần Văn Bình',
      'Số định danh cá nhân cha nuôi': null, 'Họ tên mẹ nuôi': 'Lê Thị Cúc', 'Số định danh cá nhân mẹ nuôi': null, 'Người giao con nuôi': 'NGUYỄN VĂN DŨNG',
      'Con nuôi đồng ý (từ đủ 9 tuổi)': 'Không áp dụng',
    };
    return ADOPTION_HEADERS.map((h) => cells[h]);
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url?.startsWith('/api/v1/hoc-sinh') ? { data: pupils, next_cursor: null } : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.SCHOOL_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.SCHOOL_API_KEY = 'test-school-key';

    const dir = tempDir('childhub-reason-classes-');
    adoptionFile = path.join(dir, 'nuoi-con-nuoi-20261201.xlsx');
    const wb = openWorkbook(adoptionFile, 'test');
    const sheet = addHeaderSheet(wb, ADOPTION_SHEET, ADOPTION_HEADERS);
    addXlsxRow(sheet, adoption('NCN-T-01', 'Trẻ bị bỏ rơi')); // abandoned
    addXlsxRow(sheet, adoption('NCN-T-02', 'Cha mẹ đồng ý')); // the parents consented
    sheet.commit();
    await wb.commit();
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0';

    hub = await startTestHub();
    const school = await hub.ctx.connectors.run('school', { trigger: 'CLI' });
    expect(school).toMatchObject({ status: 'SUCCEEDED', rejected: 3, inserted: 1 });
    const justice = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [adoptionFile], force: true });
    expect(justice).toMatchObject({ status: 'SUCCEEDED', rejected: 2 });
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await new Promise((resolve) => server?.close(resolve));
    process.env = saved;
  });

  const list = async (token: string, connector: string, args = ''): Promise<Map<string, Reason[]>> => {
    const res = await hub.gql<{ rejectedRecords: Listed[] }>(
      `{ rejectedRecords(connector: "${connector}"${args ? `, ${args}` : ''}) { externalId reasons { field code message } } }`, {}, token);
    expect(res.body.errors, args).toBeUndefined();
    return new Map(res.body.data!.rejectedRecords.map((r) => [r.externalId, r.reasons]));
  };
  const withheld = { field: '(withheld)', code: 'WITHHELD', message: expect.stringContaining('your roles do not grant') };
  const fields = (reasons: Reason[] | undefined) => reasons?.map((r) => `${r.field} ${r.code}`);

  it('shows each reason to a token granting every class, and leaves those of classes an engineer or operator lacks out, with no sign: the records read the same whatever lies behind them', async () => {
    const steward = await hub.token();
    const school = await list(steward, 'school');
    expect(fields(school.get('0100000001'))).toEqual(['birthDate INVALID_DATE', 'groups[0].subType INVALID_TEXT', 'projections.disability[0].type INVALID_TEXT']);
    expect(fields(school.get('0100000002'))).toEqual(['birthDate INVALID_DATE']);
    expect(fields(school.get('0100000003'))).toEqual(['groups[0].subType INVALID_TEXT', 'projections.disability[0].type INVALID_TEXT']);
    expect(school.has('0100000004')).toBe(false); // stored: its broken type was never read
    const justice = await list(steward, 'justice-register');
    const abandoned = fields(justice.get('NCN-T-01'))!;
    const consented = fields(justice.get('NCN-T-02'))!;
    expect(abandoned).toContain('groups[0].until INVALID_DATE');
    expect(abandoned.filter((f) => !f.startsWith('groups'))).toEqual(consented);
    expect(consented).toContain('projections.adoptionRegistration[0].registeredOn INVALID_DATE');

    for (const role of ['integration_engineer', 'operator'] as const) {
      const token = await hub.token({ roles: [role], communes: ['10114'] });
      const school = await list(token, 'school');
      // Disabled or not, the two pupils with a bad birth date read alike (a birth date is every record's: its
      // reason is shown); so do the two adoptions. A record with no reason left to show shows the marker.
      expect(fields(school.get('0100000001'))).toEqual(['birthDate INVALID_DATE']);
      expect(fields(school.get('0100000002'))).toEqual(['birthDate INVALID_DATE']);
      expect(school.get('0100000003')).toEqual([withheld]);
      const justice = await list(token, 'justice-register');
      expect(justice.get('NCN-T-01')).toEqual(justice.get('NCN-T-02'));
      // The registration date also dates the record: that reason (PROVENANCE, every record's) is shown to both.
      expect(fields(justice.get('NCN-T-01'))).toEqual(['sourceUpdatedAt INVALID_DATETIME']);
      expect(JSON.stringify([...school.values(), ...justice.values()])).not.toMatch(/HEALTH|PROTECTION_GROUP|ADOPTION|disability|groups/);
    }
  });

  it('a token granting some classes sees the reasons of those, and the rest withheld alike', async () => {
    // HEALTH (and BASIC) but not PROTECTION_GROUP: the disability type is its to see, the group's sub-type is not.
    const health = await hub.token({ roles: ['integration_engineer', 'health_officer'] });
    const school = await list(health, 'school');
    expect(fields(school.get('0100000001'))).toEqual(['birthDate INVALID_DATE', 'projections.disability[0].type INVALID_TEXT']);
    expect(fields(school.get('0100000002'))).toEqual(['birthDate INVALID_DATE']);
    // BASIC and PROVENANCE, neither ADOPTION nor PROTECTION_GROUP: the abandoned child's row reads as the other.
    const education = await hub.token({ roles: ['operator', 'education_officer'] });
    const justice = await list(education, 'justice-register');
    expect(justice.get('NCN-T-01')).toEqual(justice.get('NCN-T-02'));
  });

  it('refuses a field filter about a class the caller lacks, audited as DENIED; a token granting it finds the pupil', async () => {
    const engineer = await hub.token({ sub: 'engineer-field', roles: ['integration_engineer'] });
    for (const query of ['rejectedRecords', 'rejectedRecordCount'] as const) {
      const res = await hub.gql(
        `query Probe { ${query}(connector: "school", field: "projections.disability[0].type")${query === 'rejectedRecords' ? ' { externalId }' : ''} }`, {}, engineer);
      expect(res.body.data?.[query] ?? null, query).toBeNull();
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
      expect(res.body.errors?.[0]?.message, query).toMatch(/HEALTH/);
    }
    for (const field of ['groups[0].until', 'no.such.field']) {
      const res = await hub.gql(`{ rejectedRecordCount(field: "${field}") }`, {}, engineer);
      expect(res.body.errors?.[0]?.extensions?.code, field).toBe('FORBIDDEN');
    }
    const denied = await hub.ctx.sql.query<{ action: string; details: unknown }>(
      `SELECT action, details FROM audit_event WHERE subject = 'engineer-field' AND operation = 'Probe' ORDER BY id`);
    expect(denied).toEqual([
      { action: 'DENIED', details: { fields: ['Query.rejectedRecords(field)'] } },
      { action: 'DENIED', details: { fields: ['Query.rejectedRecordCount(field)'] } },
    ]);
    const health = await hub.token({ roles: ['integration_engineer', 'health_officer'] });
    expect([...(await list(health, 'school', 'field: "projections.disability[0].type"')).keys()].sort()).toEqual(['0100000001', '0100000003']);
    // A field of the record as a whole has no class, nor has one every record has: anyone listing rejects filters by it.
    expect((await list(engineer, 'school', 'field: "externalId"')).size).toBe(0);
    expect([...(await list(engineer, 'school', 'field: "birthDate"')).keys()].sort()).toEqual(['0100000001', '0100000002']);
  });

  it('matches a code only on the reasons the caller is shown, and counts as it lists', async () => {
    const count = async (token: string, connector: string, args: string) => {
      const res = await hub.gql<{ rejectedRecords: Listed[]; rejectedRecordCount: number }>(
        `{ rejectedRecords(connector: "${connector}", ${args}) { externalId } rejectedRecordCount(connector: "${connector}", ${args}) }`, {}, token);
      expect(res.body.errors, args).toBeUndefined();
      expect(res.body.data!.rejectedRecords, args).toHaveLength(res.body.data!.rejectedRecordCount);
      return res.body.data!.rejectedRecords.map((r) => r.externalId).sort();
    };
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    const steward = await hub.token();
    const health = await hub.token({ roles: ['integration_engineer', 'health_officer'] });
    const education = await hub.token({ roles: ['operator', 'education_officer'] });

    expect(await count(steward, 'school', 'code: "INVALID_TEXT"')).toEqual(['0100000001', '0100000003']);
    expect(await count(engineer, 'school', 'code: "INVALID_TEXT"')).toEqual([]);
    expect(await count(engineer, 'school', 'code: "invalid_date"')).toEqual(['0100000001', '0100000002']);
    expect(await count(engineer, 'school', 'code: "WITHHELD"')).toEqual(['0100000003']);
    expect(await count(engineer, 'school', 'field: "(withheld)"')).toEqual(['0100000003']);
    expect(await count(engineer, 'school', 'code: "WITHHELD", field: "birthDate"')).toEqual([]);
    expect(await count(steward, 'school', 'code: "WITHHELD"')).toEqual([]);
    // HEALTH: the disability type is found by its code; the group's sub-type, of the same code, is not what finds it.
    expect(await count(health, 'school', 'code: "INVALID_TEXT"')).toEqual(['0100000001', '0100000003']);
    expect(await count(health, 'school', 'code: "WITHHELD"')).toEqual([]);
    expect(await count(health, 'school', 'code: "INVALID_DATE", field: "birthDate"')).toEqual(['0100000001', '0100000002']);
    expect(await count(health, 'school', 'code: "WITHHELD", field: "birthDate"')).toEqual([]);

    // The adoption sheet: INVALID_DATE is on reasons of ADOPTION and PROTECTION_GROUP only for this token.
    expect(await count(steward, 'justice-register', 'code: "INVALID_DATE"')).toEqual(['NCN-T-01', 'NCN-T-02']);
    expect(await count(steward, 'justice-register', 'field: "groups[0].until"')).toEqual(['NCN-T-01']);
    expect(await count(education, 'justice-register', 'code: "INVALID_DATE"')).toEqual([]);
    expect(await count(education, 'justice-register', 'code: "WITHHELD"')).toEqual([]);
  });

  it('withholds them on a stored record\'s open reject too, from a role of the evidence layer without HEALTH', async () => {
    // The stored pupil's school now marks it disabled, with the same broken type: its newer version is refused.
    pupils[3] = { ...pupils[3]!, khuyet_tat: true };
    const run = await hub.ctx.connectors.run('school', { trigger: 'CLI' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', rejected: 4 });
    const [stored] = await hub.ctx.sql.query<{ id: string }>(`SELECT id FROM source_record WHERE external_id = '0100000004'`);
    const openReject = async (token: string) => {
      const res = await hub.gql<{ sourceRecord: { openReject: { reasons: Reason[] } | null } }>(
        'query($id: ID!) { sourceRecord(id: $id) { openReject { reasons { field code message } } } }', { id: stored!.id }, token);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.sourceRecord.openReject!.reasons;
    };
    expect(fields(await openReject(await hub.token()))).toEqual(['groups[0].subType INVALID_TEXT', 'projections.disability[0].type INVALID_TEXT']);
    // PROVENANCE, PROTECTION_GROUP and ADOPTION, no HEALTH: the kind of a disability is not the justice officer's.
    expect(await openReject(await hub.token({ roles: ['justice_officer'] }))).toEqual([withheld]);
  });
});
