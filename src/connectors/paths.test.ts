import { describe, expect, it } from 'vitest';
import { serializeError } from '../observability/logger.js';
import { compilePath, pathProblem } from './paths.js';

describe('path errors', () => {
  it('are coded, and kept whole by logs and run history: a path is configuration, not a record\'s text', () => {
    let err: unknown;
    try {
      compilePath('updated_at[');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONNECTOR_PATH_INVALID', path: 'updated_at[', position: 10 });
    expect(serializeError(err as Error).message).toBe('invalid path "updated_at[" at 11: unclosed "["');
  });

  it('pathProblem says why a definition\'s path does not compile, and where `$.` belongs', () => {
    expect(pathProblem('data', false)).toBeNull();
    expect(pathProblem('$.id', true)).toBeNull();
    expect(pathProblem('$.id', false)).toBe('a `$.` path reaches the record root and is only meaningful inside a value');
    expect(pathProblem('.', false)).toMatch(/^invalid path "\." at 1: a key is missing before "\."; quote a key/);
  });
});
