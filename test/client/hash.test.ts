/** The project's one string hash (src/client/hash.ts) is FNV-1a 32: the published test vectors. */
import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '../../src/client/hash.js';

describe('fnv1a32', () => {
  it('matches the FNV-1a 32-bit reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});
