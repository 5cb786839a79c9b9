import { describe, expect, it } from 'vitest';
import { signDevice, verifyDevice } from './devices.ts';

const key = 'k'.repeat(43);
const user = '0b5c1a9e-6f0e-4c35-9f5e-1f7a3c2b9d10';
const day = 86_400_000;

describe('device cookies', () => {
  it('verify what they signed: the account and the nonce', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    const d = signDevice(key, user, at);
    expect(verifyDevice(key, d.value, at, day)).toEqual({ userId: user, nonce: d.nonce });
  });

  it('refuse another key, another account, a changed nonce, garbage and empty values', () => {
    const at = new Date();
    const { value } = signDevice(key, user, at);
    expect(verifyDevice('x'.repeat(43), value, at, day)).toBeNull();
    const other = value.replace(user, '11111111-2222-4333-8444-555555555555');
    expect(verifyDevice(key, other, at, day)).toBeNull();
    const parts = value.split('.');
    parts[2] = parts[2]!.slice(0, -1) + (parts[2]!.endsWith('A') ? 'B' : 'A');
    expect(verifyDevice(key, parts.join('.'), at, day)).toBeNull();
    for (const bad of ['', 'v1', `${value}x`, value.replace('v1', 'v2'), null, undefined]) expect(verifyDevice(key, bad, at, day)).toBeNull();
  });

  it('expire after their lifetime and refuse tokens from the future', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    const { value } = signDevice(key, user, at);
    expect(verifyDevice(key, value, new Date(at.getTime() + day - 1000), day)).not.toBeNull();
    expect(verifyDevice(key, value, new Date(at.getTime() + day + 1000), day)).toBeNull();
    expect(verifyDevice(key, value, new Date(at.getTime() - 3_600_000), day)).toBeNull();
  });
});
