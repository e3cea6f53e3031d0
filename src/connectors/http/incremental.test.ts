import { describe, expect, it } from 'vitest';
import { formatInstant, laterOf, lowerBound, parseInstant, subtractDuration } from './incremental.js';

describe('parseInstant', () => {
  it.each([
    ['2026-11-25T10:00:00+07:00', Date.parse('2026-11-25T03:00:00Z'), '+07:00'],
    ['2026-11-25T03:00:00Z', Date.parse('2026-11-25T03:00:00Z'), 'Z'],
    ['2026-11-25T03:00:00.5-0200', Date.parse('2026-11-25T05:00:00.500Z'), '-02:00'],
    ['2026-11-25 10:00', Date.parse('2026-11-25T03:00:00Z'), '+07:00'],
    ['2026-11-25', Date.parse('2026-11-24T17:00:00Z'), '+07:00'],
    ['25/11/2026 10:00:00', Date.parse('2026-11-25T03:00:00Z'), '+07:00'],
    ['5/1/2026', Date.parse('2026-01-04T17:00:00Z'), '+07:00'],
  ])('%s', (value, ms, offset) => {
    expect(parseInstant(value)).toEqual({ ms, offset });
  });

  it.each(['2026-02-30', '2026-13-01T00:00:00Z', 'yesterday', '', '1764039600000'])('refuses %s', (value) => {
    expect(parseInstant(value)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(parseInstant(1764039600000)).toBeUndefined();
    expect(parseInstant(null)).toBeUndefined();
  });
});

describe('subtractDuration and formatInstant', () => {
  const at = (s: string) => parseInstant(s)!;
  it.each([
    ['2026-11-25T10:00:00+07:00', 'PT10M', '2026-11-25T09:50:00+07:00'],
    ['2026-11-25T10:00:00+07:00', 'P1DT2H', '2026-11-24T08:00:00+07:00'],
    ['2026-11-25T10:00:00+07:00', 'P2W', '2026-11-11T10:00:00+07:00'],
    ['2026-11-25T10:00:00Z', 'PT0.25S', '2026-11-25T09:59:59.750Z'],
    ['2026-03-31T00:30:00+07:00', 'P1M', '2026-02-28T00:30:00+07:00'],
    ['2024-02-29T12:00:00+07:00', 'P1Y', '2023-02-28T12:00:00+07:00'],
    ['2026-01-15T12:00:00+07:00', 'P1Y2M', '2024-11-15T12:00:00+07:00'],
  ])('%s − %s = %s', (from, duration, expected) => {
    expect(formatInstant(subtractDuration(at(from), duration))).toBe(expected);
  });
});

describe('lowerBound', () => {
  it('writes the bound in the requested format', () => {
    expect(lowerBound('2026-11-25T00:05:00+07:00', 'PT10M', 'iso')).toBe('2026-11-24T23:55:00+07:00');
    expect(lowerBound('2026-11-25T00:05:00+07:00', 'PT10M', 'date')).toBe('2026-11-24');
    expect(lowerBound('2026-11-25T00:05:00+07:00', 'PT10M', 'fhir')).toBe('gt2026-11-24T23:55:00+07:00');
  });

  it('is null without a usable mark', () => {
    expect(lowerBound(null, 'PT10M', 'iso')).toBeNull();
    expect(lowerBound('garbage', 'PT10M', 'iso')).toBeNull();
  });
});

describe('laterOf', () => {
  it('compares as times, not strings', () => {
    expect(laterOf('2026-11-25T10:00:00+07:00', '2026-11-25T03:30:00Z')).toBe('2026-11-25T03:30:00Z');
    expect(laterOf('2026-11-25T03:30:00Z', '2026-11-25T10:00:00+07:00')).toBe('2026-11-25T03:30:00Z');
  });

  it('prefers a readable value and keeps the first of equal ones', () => {
    expect(laterOf(null, '2026-11-25')).toBe('2026-11-25');
    expect(laterOf('garbage', '2026-11-25')).toBe('2026-11-25');
    expect(laterOf('2026-11-25', 'garbage')).toBe('2026-11-25');
    expect(laterOf('2026-11-25T00:00:00+07:00', '2026-11-25')).toBe('2026-11-25T00:00:00+07:00');
    expect(laterOf(null, null)).toBeNull();
  });
});
