import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';
import { buildHubSchema, printHubSchema } from '../src/graphql/schema.js';

describe('the published GraphQL contract', () => {
  it('schema/schema.graphql matches the code (run `npm run schema:print` to update it deliberately)', async () => {
    const published = readFileSync(path.join(PROJECT_ROOT, 'schema', 'schema.graphql'), 'utf8');
    expect(printHubSchema(await buildHubSchema())).toBe(published);
  });

  it('documents every type and every field for partner-app developers', async () => {
    const sdl = printHubSchema(await buildHubSchema());
    const schema = await buildHubSchema();
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID', 'DateTimeISO'].includes(type.name)) continue;
      if (!type.description && !['ChildEdge', 'Query', 'Mutation'].includes(type.name)) undocumented.push(type.name);
    }
    expect(undocumented).toEqual([]);
    expect(sdl).toContain('14 nhóm trẻ em có hoàn cảnh đặc biệt');
  });
});
