import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const NAMES = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Hoàng Cường', 'Phạm Thu Dung', 'Hoàng Minh Đức'];

/**
 * Writes a justice-register-like CSV (UTF-8, CRLF, 15 columns, about 180 bytes a row; every tenth row has a
 * quoted field with commas, every fiftieth a quoted field with a line break), streamed with backpressure.
 * For the memory test and the throughput script.
 */
export async function writeLargeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    'Mã định danh,Họ và tên,Giới tính,Ngày sinh,Nơi sinh,Mã xã,Địa chỉ,Họ tên cha,Họ tên mẹ,Số định danh,Hoàn cảnh,' +
      'Ngày tiếp nhận,Ghi chú,Số sổ,Ngày cập nhật\r\n',
  );
  for (let i = 0; i < rows; ) {
    const lines: string[] = [];
    for (const end = Math.min(rows, i + 1000); i < end; i++) {
      lines.push(
        [
          `KS${String(i).padStart(9, '0')}`,
          NAMES[i % 5],
          i % 2 ? 'Nam' : 'Nữ',
          `${String((i % 28) + 1).padStart(2, '0')}/0${(i % 9) + 1}/2015`,
          'Hà Nội',
          String(1000 + (i % 500)),
          i % 10 === 0 ? '"Số 5, ngõ 12, Ba Đình"' : 'Phường Ba Đình',
          NAMES[(i + 1) % 5],
          NAMES[(i + 2) % 5],
          String(1e11 + i),
          i % 7 === 0 ? 'Mồ côi cả cha và mẹ' : '',
          '01/01/2026',
          i % 50 === 0 ? '"dòng 1\ndòng 2"' : '',
          `Q${i % 100}`,
          '2026-11-25T10:00:00+07:00',
        ].join(','),
      );
    }
    if (!out.write(`${lines.join('\r\n')}\r\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
