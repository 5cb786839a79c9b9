/**
 * Login throttling (issue 9, "access ends when it is taken away"; issue 13, limits per cluster):
 * a stranger's wrong passwords must not lock the owner's known browser out, brute force stays
 * out, a device cookie helps only the account it was issued for, and every node sharing the
 * database counts the same attempts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempPostgres, findPostgres, testDatabaseKinds, type TestDatabase } from '@accord/db/testing';
import { startServer, type RunningServer } from '@accord/server';
import { ApiClient } from '../utils/client.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

// Under CI=true a missing PostgreSQL fails here; otherwise the reason for skipping is printed.
const kinds = await testDatabaseKinds();

interface Browser {
  /** Cookies this browser holds, by name. */
  jar: Map<string, string>;
  /** The address the (trusted) proxy reports for it. */
  address: string;
}

const browser = (address: string): Browser => ({ jar: new Map(), address });

/** A sign-in as a browser behind the trusted proxy would send it: its cookies, its address, our Origin. */
async function signIn(base: string, b: Browser, email: string, password: string) {
  const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/json', 'x-forwarded-for': b.address, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ email, password }),
  });
  for (const sc of res.headers.getSetCookie()) {
    const [pair] = sc.split(';');
    const i = pair!.indexOf('=');
    b.jar.set(pair!.slice(0, i), pair!.slice(i + 1));
  }
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

describe.each(kinds)('login throttling (%s)', (kind) => {
  let t: TestServer;
  let s: RunningServer;
  let admin: ApiClient;
  let n = 0;
  beforeAll(async () => {
    t = await createTestServer(kind);
    admin = await t.as('admin');
    // Addresses come from X-Forwarded-For here, so each scenario uses addresses of its own.
    s = await t.sibling({ ACCORD_TRUST_PROXY: '1', ACCORD_LOGIN_MAX_PER_ACCOUNT: '8', ACCORD_LOGIN_MAX_PER_DEVICE: '8', ACCORD_LOGIN_MAX_PER_ADDRESS: '1000' });
  });
  afterAll(() => t?.close());

  async function newUser() {
    const email = `throttle${n++}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const password = 'owner passphrase 42';
    const r = await admin.post<{ id: string }>('/api/users', { email, name: 'Owner', password });
    expect(r.status).toBe(201);
    return { email, password };
  }

  it("a stranger's eight wrong passwords do not lock out the owner's browser that signed in before", async () => {
    const u = await newUser();
    const owner = browser('198.51.100.10');
    expect((await signIn(s.url, owner, u.email, u.password)).status).toBe(200);
    expect([...owner.jar.keys()].sort()).toEqual(['accord_device', 'accord_session']);
    const stranger = browser('203.0.113.10');
    for (let i = 0; i < 8; i++) expect((await signIn(s.url, stranger, u.email, `guess ${i}`)).status).toBe(401);
    const back = await signIn(s.url, owner, u.email, u.password);
    expect(back.status).toBe(200);
    // The owner's session works.
    const me = await fetch(`${s.url}/api/auth/me`, { headers: { cookie: `accord_session=${owner.jar.get('accord_session')}` } });
    expect(me.status).toBe(200);
  });

  it('the stranger stays throttled: 429 with Retry-After, also with the right password, from any address, without a device cookie', async () => {
    const u = await newUser();
    const owner = browser('198.51.100.11');
    expect((await signIn(s.url, owner, u.email, u.password)).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await signIn(s.url, browser(`203.0.113.${20 + i}`), u.email, `guess ${i}`)).status).toBe(401);
    for (const who of [browser('203.0.113.40'), browser('192.0.2.41')]) {
      const r = await signIn(s.url, who, u.email, u.password);
      expect(r.status).toBe(429);
      expect(r.body.error?.code).toBe('rate_limited');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(who.jar.size).toBe(0);
    }
    // A forged or tampered device cookie is just no device cookie.
    const forger = browser('203.0.113.42');
    // Change a character well inside the value: the last base64url character of a signature holds
    // unused padding bits, so changing only those would decode to the same signature.
    const cookie = owner.jar.get('accord_device')!;
    const at = cookie.length - 8;
    forger.jar.set('accord_device', cookie.slice(0, at) + (cookie[at] === 'A' ? 'Q' : 'A') + cookie.slice(at + 1));
    expect((await signIn(s.url, forger, u.email, u.password)).status).toBe(429);
    // The owner's browser still gets in.
    expect((await signIn(s.url, owner, u.email, u.password)).status).toBe(200);
  });

  it("the owner's browser has its own failure limit, so a stolen device cookie does not allow brute force", async () => {
    const u = await newUser();
    const owner = browser('198.51.100.12');
    expect((await signIn(s.url, owner, u.email, u.password)).status).toBe(200);
    const thief = browser('203.0.113.50');
    thief.jar.set('accord_device', owner.jar.get('accord_device')!);
    for (let i = 0; i < 8; i++) expect((await signIn(s.url, thief, u.email, `guess ${i}`)).status).toBe(401);
    const r = await signIn(s.url, thief, u.email, u.password);
    expect(r.status).toBe(429);
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    // Those failures were the device's, not the account's: a browser without a cookie is not locked.
    expect((await signIn(s.url, browser('198.51.100.13'), u.email, u.password)).status).toBe(200);
  });

  it("a device cookie of user X does not help for user Y", async () => {
    const x = await newUser();
    const y = await newUser();
    const xs = browser('198.51.100.14');
    expect((await signIn(s.url, xs, x.email, x.password)).status).toBe(200);
    expect(xs.jar.get('accord_device')).toMatch(/^v1\./);
    for (let i = 0; i < 8; i++) expect((await signIn(s.url, browser('203.0.113.60'), y.email, `guess ${i}`)).status).toBe(401);
    const withX = browser('203.0.113.61');
    withX.jar.set('accord_device', xs.jar.get('accord_device')!);
    const r = await signIn(s.url, withX, y.email, y.password);
    expect(r.status).toBe(429);
    // And X's own browser is still X's: it cannot sign in as Y either.
    expect((await signIn(s.url, xs, y.email, y.password)).status).toBe(429);
    expect((await signIn(s.url, xs, x.email, x.password)).status).toBe(200);
  });

  it('answers wrong password and unknown account alike for known and unknown browsers (no user enumeration)', async () => {
    const u = await newUser();
    const owner = browser('198.51.100.15');
    expect((await signIn(s.url, owner, u.email, u.password)).status).toBe(200);
    const bodies = [
      await signIn(s.url, owner, u.email, 'wrong one'),
      await signIn(s.url, owner, 'nobody-here@example.com', 'wrong one'),
      await signIn(s.url, browser('203.0.113.70'), u.email, 'wrong one'),
      await signIn(s.url, browser('203.0.113.71'), 'nobody-here@example.com', 'wrong one'),
    ];
    for (const r of bodies) expect(r).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated', message: 'Email or password is incorrect.' } } });
  });
});

describe.skipIf(!kinds.includes('postgres'))('login limits are per cluster (two servers on one PostgreSQL)', () => {
  let db: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-throttle-'));
  beforeAll(async () => {
    const found = await findPostgres();
    if ('reason' in found) throw new Error(found.reason);
    db = await createTempPostgres(found.url);
    if (db.options.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      ACCORD_DATA_DIR: dataDir,
      ACCORD_LOG: 'error',
      NODE_ENV: 'test',
      DATABASE_URL: db.options.url,
      ACCORD_LOGIN_MAX_PER_ACCOUNT: '8',
      ACCORD_LOGIN_MAX_PER_ADDRESS: '1000',
    };
    // Each server opens its own connection pool: nothing is shared but the database.
    a = await startServer({ env });
    b = await startServer({ env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('4 failures on A and 4 on B throttle the account on both', async () => {
    if (a.seed?.kind !== 'demo') throw new Error('expected the demo workspace on the first server');
    const who = a.seed.logins.find((l) => l.email === 'trainer2@accord.local')!;
    for (const [server, i] of [a, a, a, a, b, b, b, b].map((x, i) => [x, i] as const)) {
      expect((await new ApiClient(server.url).post('/api/auth/login', { email: who.email, password: `guess ${i}` })).status).toBe(401);
    }
    for (const server of [a, b]) {
      const r = await new ApiClient(server.url).post('/api/auth/login', { email: who.email, password: who.password });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});
