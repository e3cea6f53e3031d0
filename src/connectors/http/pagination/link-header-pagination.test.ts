import { describe, expect, it } from 'vitest';
import { nextLinkTarget } from './link-header-pagination.js';

describe('nextLinkTarget', () => {
  it.each([
    ['<https://a.test/x?page=2>; rel="next"', 'https://a.test/x?page=2'],
    ['<https://a.test/x?page=2>; rel=next', 'https://a.test/x?page=2'],
    ['<https://a.test/x?page=1>; rel="prev", <https://a.test/x?page=3>; rel="next"', 'https://a.test/x?page=3'],
    ['</x?page=3>; rel="next last"; title="a, b; c"', '/x?page=3'],
    ['</x?a=1,2>; title="page; rel=next"; rel="NEXT"', '/x?a=1,2'],
  ])('%s', (header, target) => {
    expect(nextLinkTarget(header)).toBe(target);
  });

  it.each(['<https://a.test/x?page=1>; rel="prev"', '', 'garbage', '<https://a.test/x>; rel="nextpage"'])('no next in %j', (header) => {
    expect(nextLinkTarget(header)).toBeUndefined();
  });
});
