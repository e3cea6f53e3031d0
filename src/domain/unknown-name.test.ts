import { describe, expect, it } from 'vitest';
import { isUnknownName } from './unknown-name.js';
import { normalizeName } from './vietnamese-name.js';

describe('isUnknownName', () => {
  it('knows what registers write in a name\'s place, in any case, with or without accents, with marks around it', () => {
    for (const s of [
      'Không rõ', 'KHÔNG RÕ', 'không rõ.', '(Không rõ)', 'Chưa rõ họ tên', 'Không rõ cha', 'Không xác định', 'Chưa xác định danh tính',
      'KXĐ', 'kxd', 'Không có', 'Không', 'KHONG RO', 'Khong xac dinh', 'N/A', 'null', '-', '—', '- - -', '?', '…', '...', '*',
      'Không rõ'.normalize('NFD'), 'Không rõ họ tên cha', 'Không rõ họ tên mẹ', 'Ko rõ', 'KO RÕ', 'ko ro', 'Không có thông tin', 'Chưa rõ',
      'Chưa xác định danh tính mẹ', 'x', 'X', ' x ',
    ]) expect([s, isUnknownName(s)]).toEqual([s, true]);
  });
  it('takes every real name for a name: a family name that folds to the same letters (Khổng), a name containing the words', () => {
    for (const s of [
      'Khổng Rõ', 'Khổng Thị Lan', 'KHỔNG VĂN ĐỨC', 'Nguyễn Văn An', 'Chu Văn An', 'Na', 'Nguyễn Thị Na', 'Cao Không Rõ Tên Thật Là Gì',
      'Không Rõ Ràng Văn Nam', 'Trung tâm Bảo trợ xã hội số 1', 'Chùa Bồ Đề', 'Ung Văn Khiêm', 'Kiều Thị Hoa', 'Khổng Văn Rõ', 'Ko Văn Rõ',
    ]) expect([s, isUnknownName(s)]).toEqual([s, false]);
  });
  it('reads a canonical name (normalizeName\'s) as its raw form', () => {
    for (const s of ['KHÔNG RÕ', 'chưa rõ họ tên', 'KXĐ', '-']) expect(isUnknownName(normalizeName(s))).toBe(true);
    expect(isUnknownName(normalizeName('KHỔNG RÕ'))).toBe(false);
  });
});
