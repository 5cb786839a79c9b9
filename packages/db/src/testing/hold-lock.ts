/**
 * A second process for the data folder lock tests: `node --import tsx hold-lock.ts <dataDir> [goFile]`.
 * Waits until `goFile` exists (a start line for racing starters), tries to take the lock, prints
 * `locked <pid>` or `refused <owner pid>`, and keeps holding until it is killed.
 */
import { existsSync } from 'node:fs';
import { acquireDataDirLock, DataDirLockedError } from '../lock.ts';

const [dataDir, goFile] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: hold-lock.ts <dataDir> [goFile]');
if (goFile) {
  process.stdout.write('waiting\n');
  // Spin rather than sleep, so that racers leave the start line within microseconds of each other.
  while (!existsSync(goFile));
}
try {
  acquireDataDirLock(dataDir);
  process.stdout.write(`locked ${process.pid}\n`);
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  process.stdout.write(`refused ${e.ownerPid}\n`);
}
setInterval(() => {}, 60_000);
