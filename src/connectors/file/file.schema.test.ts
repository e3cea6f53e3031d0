import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fileConfigSchema } from './file.schema.js';

describe('fileConfigSchema', () => {
  it('applies the documented defaults', () => {
    expect(fileConfigSchema.parse({ directory: { env: 'JUSTICE_REGISTER_DROP_DIR', default: 'var/drops/justice-register' } })).toEqual({
      directory: { env: 'JUSTICE_REGISTER_DROP_DIR', default: 'var/drops/justice-register' },
      pattern: '*.{csv,xlsx}',
      format: 'auto',
      csv: { delimiter: ',', quote: '"', encoding: 'auto' },
      headerRow: 1,
      chunkRows: 5000,
      settleSeconds: 60,
      optionalColumns: [],
    });
  });

  it('takes settleSeconds as a number of seconds or an environment reference, refusing a negative or fractional one', () => {
    const parse = (settleSeconds: unknown) => fileConfigSchema.safeParse({ directory: 'd', settleSeconds });
    expect(parse(0).data?.settleSeconds).toBe(0);
    expect(parse({ env: 'DROP_SETTLE_SECONDS', default: '30' }).data?.settleSeconds).toEqual({ env: 'DROP_SETTLE_SECONDS', default: '30' });
    expect(parse(-1).success).toBe(false);
    expect(parse(1.5).success).toBe(false);
    expect(parse('60').success).toBe(false);
  });

  it('refuses an empty or blank drop directory, written or as the default of its variable (QA: it meant the project root)', () => {
    const messages = (directory: unknown) => fileConfigSchema.safeParse({ directory }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    const empty = 'is empty, which would be the project root itself: give the drop directory\'s path (absolute, or relative to the project root)';
    expect(messages('')).toEqual([`directory: ${empty}`]);
    expect(messages('  ')).toEqual([`directory: ${empty}`]);
    expect(messages({ env: 'DROP_DIR', default: '' })).toEqual([`directory.default: ${empty}`]);
    expect(fileConfigSchema.safeParse({ directory: { env: 'DROP_DIR', default: 'var/drops/x' } }).success).toBe(true);
  });

  it('refuses a glob whose braces do not pair up, and a settleSeconds default that could never be taken (QA)', () => {
    const messages = (file: Record<string, unknown>) => fileConfigSchema.safeParse({ directory: 'd', ...file }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages({ pattern: 'khuyet-tat-{*.csv' })).toEqual([expect.stringMatching(/^pattern: unclosed "\{" at 12: /)]);
    expect(messages({ sheets: [{ files: 'khai-sinh-*}', recordType: 'child' }] })).toEqual([expect.stringMatching(/^sheets\.0\.files: "\}" at 12 closes no "\{"/)]);
    const settle = (d: string) => messages({ settleSeconds: { env: 'DROP_SETTLE_SECONDS', default: d } });
    expect(settle('abc')).toEqual(['settleSeconds.default: must be a whole number of seconds from 0 to 86400, written as text ("60")']);
    expect([settle('86401'), settle('-1'), settle('1.5'), settle('')].every((m) => m?.length === 1)).toBe(true);
    expect([settle('0'), settle(' 60 '), settle('86400'), settle('00060')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('accepts the documented example', () => {
    const parsed = fileConfigSchema.parse({
      directory: 'var/drops/facility-inspection',
      pattern: '*.xlsx',
      format: 'xlsx',
      csv: { delimiter: ';', encoding: 'utf-16le' },
      headerRow: 2,
      chunkRows: 1000,
      sheets: [
        { sheet: 'Cơ sở', recordType: 'facility' },
        { sheet: 2, recordType: 'child' },
      ],
    });
    expect(parsed.csv).toEqual({ delimiter: ';', quote: '"', encoding: 'utf-16le' });
    expect(parsed.sheets).toHaveLength(2);
  });

  it('refuses unknown keys, bad values and several sheets for CSV', () => {
    const problems = (input: unknown) => fileConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(problems({ directory: 'd', extra: 1 })).toEqual(['']);
    expect(problems({ directory: 'd', csv: { encoding: 'windows-1258' } })).toEqual(['csv.encoding']);
    expect(problems({ directory: 'd', csv: { delimiter: ';;' } })).toEqual(['csv.delimiter']);
    expect(problems({ directory: 'd', csv: { delimiter: '"' } })).toEqual(['csv.quote']);
    expect(problems({ directory: 'd', pattern: 'sub/*.csv' })).toEqual(['pattern']);
    expect(problems({ directory: 'd', headerRow: 0 })).toEqual(['headerRow']);
    expect(problems({ directory: 'd', sheets: [{ sheet: 0, recordType: 'child' }] })).toEqual(['sheets.0.sheet']);
    expect(
      problems({
        directory: 'd',
        format: 'csv',
        sheets: [
          { sheet: 1, recordType: 'child' },
          { sheet: 2, recordType: 'facility' },
        ],
      }),
    ).toEqual(['sheets']);
    expect(problems({ directory: { env: 'lower' } })).toEqual(['directory.env']);
  });

  it('publishes as JSON Schema with a description on every option', () => {
    const schema = z.toJSONSchema(fileConfigSchema, { io: 'input' }) as {
      description?: string;
      properties: Record<string, { description?: string; properties?: Record<string, { description?: string }>; items?: { properties: Record<string, { description?: string }> } }>;
      additionalProperties: boolean;
    };
    expect(schema.description).toMatch(/kind: file/);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(['chunkRows', 'csv', 'directory', 'format', 'headerRow', 'optionalColumns', 'pattern', 'settleSeconds', 'sheets']);
    for (const [key, prop] of Object.entries(schema.properties)) expect(prop.description, key).toBeTruthy();
    for (const [key, prop] of Object.entries(schema.properties.csv!.properties!)) expect(prop.description, `csv.${key}`).toBeTruthy();
    for (const [key, prop] of Object.entries(schema.properties.sheets!.items!.properties)) expect(prop.description, `sheets.${key}`).toBeTruthy();
    expect(z.toJSONSchema(fileConfigSchema)).toBeTruthy(); // the output form too
  });
});
