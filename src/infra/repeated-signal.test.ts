import { describe, expect, it } from 'vitest';
import { signalClassifier } from './repeated-signal.js';

describe('signalClassifier', () => {
  it('takes the same signal within the window as the same request, and a later or different one as insisting', () => {
    let t = 1_000;
    const classify = signalClassifier(2_000, () => t);
    expect(classify('SIGINT')).toBe('first');
    t += 30; // tsx's relay after its 30 ms, npm's forwarded copy
    expect(classify('SIGINT')).toBe('repeat');
    t += 1_500;
    expect(classify('SIGINT')).toBe('repeat');
    expect(classify('SIGTERM')).toBe('again');
    t += 500; // 2 s after the first: a second Ctrl-C
    expect(classify('SIGINT')).toBe('again');
  });
});
