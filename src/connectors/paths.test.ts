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

describe('filters', () => {
  const patient = {
    identifier: [
      { system: 'urn:vn:so-dinh-danh-ca-nhan', use: 'old', value: 'A' },
      { system: 'urn:vn:bhyt', value: 'B' },
      { system: 'urn:vn:so-dinh-danh-ca-nhan', use: 'official', value: 'C' },
      { system: 'urn:vn:so-dinh-danh-ca-nhan', value: 'D' },
    ],
  };

  it('`=` keeps the elements whose key finds the value', () => {
    expect(compilePath('identifier[system="urn:vn:so-dinh-danh-ca-nhan"].value')(patient)).toEqual(['A', 'C', 'D']);
  });

  it('`!=` keeps the elements whose key finds no such value, those without the key among them', () => {
    expect(compilePath('identifier[use!=old].value')(patient)).toEqual(['B', 'C', 'D']);
    expect(compilePath('identifier[use!="official"].value')(patient)).toEqual(['A', 'B', 'D']);
  });

  it('`&` keeps the elements meeting every condition; `&` and `=` in quotes are text', () => {
    expect(compilePath('identifier[system="urn:vn:so-dinh-danh-ca-nhan" & use!=old].value')(patient)).toEqual(['C', 'D']);
    expect(compilePath('identifier[system="urn:vn:so-dinh-danh-ca-nhan"&use=official].value')(patient)).toEqual(['C']);
    expect(compilePath('a[k="x & y=z"].v')({ a: [{ k: 'x & y=z', v: 1 }, { k: 'x', v: 2 }] })).toEqual([1]);
  });

  it('`|` gives a condition its alternatives: one of them (`=`) or none of them (`!=`)', () => {
    const observations = [{ id: 1, status: 'final' }, { id: 2, status: 'entered-in-error' }, { id: 3, status: 'amended' }, { id: 4 }];
    expect(compilePath('o[status=final|amended|corrected].id')({ o: observations })).toEqual([1, 3]);
    expect(compilePath('o[status!="entered-in-error" | cancelled].id')({ o: observations })).toEqual([1, 3, 4]);
    expect(compilePath('o[status="final|amended"].id')({ o: observations })).toEqual([]);
  });

  it('a condition left out beside `&`, or a bracket with no `=`, does not compile', () => {
    expect(pathProblem('identifier[system=x & ].value', false)).toMatch(/at 11: a condition is missing beside "&"/);
    expect(pathProblem('identifier[system].value', false)).toMatch(/a filter key=value \(or key!=value, values v\|w, conditions joined by &\)/);
    expect(pathProblem('identifier[!=x].value', false)).toMatch(/a filter needs a key before "!="/);
    // Slips that compiled to something else (QA re-check).
    expect(pathProblem('a[k=v|]', false)).toMatch(/an alternative is missing beside "\|"/);
    expect(pathProblem('a[k=|v]', false)).toMatch(/an alternative is missing beside "\|"/);
    expect(pathProblem('a[k==v]', false)).toMatch(/a value holds "=": quote it/);
    expect(pathProblem('a[system="x" | use=old]', false)).toMatch(/an alternative of "\|" holds "=": conditions are joined by "&"/);
    expect(pathProblem('a[k=x"v"]', false)).toMatch(/a quote inside a value/);
    expect(pathProblem('a[k="a=b|c"]', false)).toBeNull();
    expect(pathProblem('a[k=]', false)).toBeNull(); // an empty text, as before
  });
});
