/**
 * Device cookies (OWASP "Slow down online guessing attacks with device cookies"): after a
 * successful sign-in the browser gets a signed token naming the account and a random nonce. A
 * sign-in that presents a valid one for the same account is counted against that device alone,
 * so a stranger's failed guesses (counted per account for everyone without one) cannot lock the
 * owner's known browser out, while a stolen device cookie still has its own small failure budget.
 * The token grants nothing else: the password is always required.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Device {
  userId: string;
  nonce: string;
}

const VERSION = 'v1';
const FORMAT = /^v1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
/** Tolerated clock difference between nodes for a token issued "in the future". */
const SKEW_MS = 5 * 60_000;

const mac = (key: string, payload: string) => createHmac('sha256', key).update(`accord-device.${payload}`).digest();

export function signDevice(key: string, userId: string, at: Date): { value: string; nonce: string } {
  const nonce = randomBytes(16).toString('base64url');
  const payload = `${VERSION}.${userId}.${nonce}.${Math.floor(at.getTime() / 1000)}`;
  return { value: `${payload}.${mac(key, payload).toString('base64url')}`, nonce };
}

/** The device a cookie names, or null when it is malformed, forged, from the future or older than maxAgeMs. */
export function verifyDevice(key: string, value: string | null | undefined, at: Date, maxAgeMs: number): Device | null {
  if (!value) return null;
  const m = FORMAT.exec(value);
  if (!m) return null;
  const [, userId, nonce, issued, sig] = m as unknown as [string, string, string, string, string];
  const expected = mac(key, `${VERSION}.${userId}.${nonce}.${issued}`);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const age = at.getTime() - Number(issued) * 1000;
  if (age < -SKEW_MS || age > maxAgeMs) return null;
  return { userId, nonce };
}
