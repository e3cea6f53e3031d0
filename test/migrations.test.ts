import { describe, expect, it } from 'vitest';
import { migrationsList } from '../migrations/index.js';
import { MIGRATION_NAMES } from '../migrations/names.js';

describe('migration names', () => {
  it('lists every migration MikroORM runs, in the same order (the start-up check reads this list)', () => {
    expect(MIGRATION_NAMES).toEqual(migrationsList.map((m) => m.name));
  });
});
