import { describe, expect, it } from 'vitest';
import { dismissalNote, MAX_DISMISSAL_NOTE_LENGTH } from './reject-dismissal.service.js';

describe('dismissalNote', () => {
  it('keeps the reason trimmed', () => {
    expect(dismissalNote('  test row of the agency, never fixed \n')).toBe('test row of the agency, never fixed');
  });

  it('refuses an empty reason with BAD_USER_INPUT on `reason`', () => {
    for (const r of ['', '   ', '\n\t']) expect(() => dismissalNote(r)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument: 'reason' } }));
  });

  it('counts characters, not UTF-16 units, and refuses a longer reason without repeating it', () => {
    const longest = 'ệ'.repeat(MAX_DISMISSAL_NOTE_LENGTH);
    expect(dismissalNote(longest)).toBe(longest);
    expect(dismissalNote('𝒜'.repeat(MAX_DISMISSAL_NOTE_LENGTH))).toHaveLength(MAX_DISMISSAL_NOTE_LENGTH * 2);
    let error: unknown;
    try {
      dismissalNote(`Nguyễn Văn An ${'x'.repeat(MAX_DISMISSAL_NOTE_LENGTH)}`);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { argument: 'reason' } });
    expect((error as Error).message).not.toContain('Nguyễn');
    expect((error as Error).message).toMatch(/at most 500/);
  });

  it('refuses a reason holding a personal-looking number, without repeating it (QA); sentences with names of places and agencies pass (QA re-check)', () => {
    for (const r of ['số định danh 001215000777 sai', 'CCCD 001 215 000 777', 'gọi mẹ 0912.345.678', 'BHYT TE1010012345678']) {
      let error: unknown;
      try {
        dismissalNote(r);
      } catch (err) {
        error = err;
      }
      expect(error, r).toMatchObject({ code: 'BAD_USER_INPUT', details: { argument: 'reason', problem: 'PERSONAL_DATA' } });
      expect((error as Error).message).not.toMatch(/001|0912|1010/);
    }
    for (const r of [
      'dòng thử của Sở Tư pháp, xác minh ngày 12/11/2026', 'bản ghi trùng, đã báo Trạm Y Tế xã Thanh Oai', 'test row KS-2026-0042',
      'Ngày sinh sai định dạng', 'Do trung tâm gửi trùng', 'Tổng đài viên xác nhận', 'Sent back to Thanh Xuân office', 'Moved to Ba Vì',
      'Trường Tiểu học Kim Đồng, lớp 3A', 'File khai-sinh-[withheld].csv of 03.11.2026 was a duplicate', 'Quyết định 1234/QĐ-UBND ngày 2026-11-03 10:30',
    ]) {
      expect(dismissalNote(r), r).toBe(r);
    }
  });

  it('refuses control characters other than tab and line feed, without repeating the reason', () => {
    for (const [r, code] of [['a\u0000b', '0000'], ['Nguyễn\u001bb', '001B'], ['a\rb', '000D'], ['a\u007fb', '007F'], ['a\u0085b', '0085']] as const) {
      let error: unknown;
      try {
        dismissalNote(r);
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { argument: 'reason' } });
      expect((error as Error).message).toContain(`U+${code}`);
      expect((error as Error).message).not.toContain('Nguyễn');
    }
  });

  it('keeps tabs and line breaks, a Windows line break as a line feed', () => {
    expect(dismissalNote('test row\tof the agency\r\nnever fixed\n')).toBe('test row\tof the agency\nnever fixed');
  });
});
