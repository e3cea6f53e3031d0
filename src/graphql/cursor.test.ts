import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('decodeCursor', () => {
  it('gives back the id a cursor holds', () => {
    expect(decodeCursor(encodeCursor('chd_01JD0000000000000000000000'), 'chd')).toBe('chd_01JD0000000000000000000000');
  });

  it('refuses, as the caller\'s mistake, a cursor of another kind or with characters no id has (QA: a NUL gave a 500)', () => {
    for (const cursor of [encodeCursor('src_01JD0000000000000000000000'), 'Y2hkXwA', encodeCursor('chd_\u0000x'), encodeCursor("chd_x' OR 1=1"), '']) {
      expect(() => decodeCursor(cursor, 'chd'), cursor).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument: 'after' } }));
    }
  });
});
