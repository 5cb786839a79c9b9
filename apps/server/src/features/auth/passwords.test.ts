import { describe, expect, it } from 'vitest';
import { hashPassword, parseHashParams, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('hashes with a fresh salt and verifies only the exact password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).not.toBe(b);
    expect(parseHashParams(a)).toEqual({ N: 32768, r: 8, p: 1 });
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('uses every character of a long password (no 72-byte truncation)', async () => {
    const long = 'p'.repeat(500);
    const h = await hashPassword(long);
    expect(await verifyPassword(long.slice(0, 72), h)).toBe(false);
    expect(await verifyPassword(long.slice(0, 499) + 'q', h)).toBe(false);
    expect(await verifyPassword(long, h)).toBe(true);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const h = await hashPassword('caf\u00e9-passphrase');
    expect(await verifyPassword('cafe\u0301-passphrase', h)).toBe(true);
  });

  it('rejects malformed stored hashes instead of throwing', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$1$2$3$4$5')).toBe(false);
  });
});
