import { describe, expect, it } from 'vitest';
import { errorReason } from './error-reason.js';

describe('errorReason', () => {
  it('gives a server code before its message, once', () => {
    expect(errorReason(Object.assign(new Error('the database system is shutting down'), { code: '57P03' }))).toBe('[57P03] the database system is shutting down');
    expect(errorReason(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('gives the code of an AggregateError, which has no message (every address of a host refused)', () => {
    const err = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:6379'), new Error('connect ECONNREFUSED 127.0.0.1:6379')]), { code: 'ECONNREFUSED' });
    expect(err.message).toBe('');
    expect(errorReason(err)).toBe('ECONNREFUSED');
  });

  it('falls back to the message, then the name, then the value itself', () => {
    expect(errorReason(new Error('Connection is closed.'))).toBe('Connection is closed.');
    expect(errorReason(new AggregateError([]))).toBe('AggregateError');
    expect(errorReason('gone')).toBe('gone');
    expect(errorReason(undefined)).toBe('undefined');
  });
});
