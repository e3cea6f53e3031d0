import { describe, expect, it } from 'vitest';
import { rejectLocation } from './reject-location.js';

describe('rejectLocation', () => {
  it('names an HTTP page entry once', () => {
    expect(rejectLocation('page 30', 'page 30 entry 31')).toBe('page 30 entry 31');
    expect(rejectLocation('page 3', 'page 3 entry 17')).toBe('page 3 entry 17');
  });

  it('does not take another page whose number starts alike for the same page', () => {
    expect(rejectLocation('page 3', 'page 30 entry 1')).toBe('page 3, page 30 entry 1');
  });

  it('names a file row once, whatever rows its chunk spans', () => {
    expect(rejectLocation('khai-sinh.csv rows 1001-2000', 'khai-sinh.csv row 1043')).toBe('khai-sinh.csv row 1043');
    expect(rejectLocation('khai-sinh.csv row 7', 'khai-sinh.csv row 7')).toBe('khai-sinh.csv row 7');
    expect(rejectLocation('co-so.xlsx sheet "Trẻ em" rows 2-40', 'co-so.xlsx sheet "Trẻ em" row 12')).toBe('co-so.xlsx sheet "Trẻ em" row 12');
  });

  it('joins a location relative to its batch, and falls back to whichever is given', () => {
    expect(rejectLocation('page 3', 'record 2')).toBe('page 3, record 2');
    expect(rejectLocation('synthetic sample', 'record 5')).toBe('synthetic sample, record 5');
    expect(rejectLocation('page 3', undefined)).toBe('page 3');
    expect(rejectLocation(null, 'page 3 entry 1')).toBe('page 3 entry 1');
    expect(rejectLocation(undefined, null)).toBeNull();
  });
});
