import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createDb, DataDirLockedError, users } from './index.ts';
import { openTestDatabase, testDatabaseKinds } from './testing/index.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('createDb on %s', (kind) => {
  it('applies the committed migrations and round-trips a row', async () => {
    const tdb = await openTestDatabase(kind);
    const handle = await createDb(tdb.options);
    try {
      const [u] = await handle.db.insert(users).values({ email: 'a@example.com', name: 'A' }).returning();
      expect(u?.id).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await handle.db.select().from(users).where(eq(users.email, 'a@example.com'));
      expect(rows).toHaveLength(1);
      expect(rows[0]?.active).toBe(true);
    } finally {
      await handle.close();
      await tdb.drop();
    }
  });
});

describe('PGlite data folder lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accord-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second opener of the same folder, and allows it after close', async () => {
    const first = await createDb({ kind: 'pglite', dataDir: dir });
    await expect(createDb({ kind: 'pglite', dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
    await first.close();
    const again = await createDb({ kind: 'pglite', dataDir: dir });
    await again.close();
  });

  it('takes over a lock left by a dead process', async () => {
    // pid 2^22+1 is above Linux's default pid_max, so no live process has it.
    writeFileSync(join(dir, 'accord.lock'), String(4194305));
    const h = await createDb({ kind: 'pglite', dataDir: dir });
    await h.close();
  });
});
