import { describe, expect, it } from 'vitest';
import { PageTokenCodec } from './page-token.js';

describe('PageTokenCodec', () => {
  const codec = new PageTokenCodec(7, 'test');
  const state = { a: [1_700_000_000_000, 'SK01393249020'], p: 'start', r: 0 };

  it('round-trips, hides what it carries and gives the same token for the same state', () => {
    const token = codec.encode(state);
    expect(codec.decode(token)).toEqual(state);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain('SK01');
    expect(codec.encode(state)).toBe(token);
    expect(new PageTokenCodec(7, 'test').decode(token)).toEqual(state);
  });

  it('refuses edited tokens and tokens of another seed or purpose', () => {
    const token = codec.encode(state);
    const flipped = Buffer.from(token, 'base64url');
    flipped[20] = flipped[20]! ^ 1;
    expect(codec.decode(flipped.toString('base64url'))).toBeNull();
    expect(codec.decode(token.slice(0, -3))).toBeNull();
    expect(codec.decode('')).toBeNull();
    expect(new PageTokenCodec(8, 'test').decode(token)).toBeNull();
    expect(new PageTokenCodec(7, 'other').decode(token)).toBeNull();
  });
});
