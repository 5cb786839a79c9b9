/**
 * The first start of a new embedded database, run by startServer in a child process: creates the
 * folder, applies the migrations, seeds it (demo workspace or first admin), closes it and sends the
 * seed's result to the parent over IPC. PGlite's WebAssembly memory grows with the seed's work and
 * never shrinks, so the server process that then opens the folder stays as small as on any restart.
 *
 * Its one IPC message in is `{ source }`: the environment to parse (null: its own, inherited). Its one
 * message out is `{ seed }`, or `{ error }` (a locked folder with its owner, so the parent reports it
 * as on any start).
 */
import { DataDirLockedError } from '@accord/db';
import { closeDeps, createDeps } from '../deps.ts';
import { parseEnv } from '../env.ts';
import { seedIfEmpty } from './seed.ts';

export type FirstStartMessage =
  | { seed: import('./seed.ts').SeedResult | null }
  | { error: { message: string; locked?: { dataDir: string; ownerPid: number } } };

const send = (m: FirstStartMessage) => new Promise<void>((resolve, reject) => process.send!(m, (e: Error | null) => (e ? reject(e) : resolve())));
const { source } = await new Promise<{ source: Record<string, string | undefined> | null }>((resolve) => process.once('message', (m) => resolve(m as { source: Record<string, string | undefined> | null })));
let code = 0;
try {
  const deps = await createDeps(parseEnv(source ?? undefined));
  try {
    await send({ seed: await seedIfEmpty(deps) });
  } finally {
    await closeDeps(deps);
  }
} catch (e) {
  code = 1;
  const err = e as Error;
  await send({ error: { message: err.message, ...(e instanceof DataDirLockedError ? { locked: { dataDir: e.dataDir, ownerPid: e.ownerPid } } : {}) } });
}
process.disconnect();
process.exit(code);
