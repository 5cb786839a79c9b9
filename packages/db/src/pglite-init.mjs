// Creates an embedded database folder (PostgreSQL's initdb, in PGlite) and exits.
// Run as a child process by client.ts on first start: initdb's WebAssembly instance stays in the
// memory of the process that ran it, so the server opens the folder only once it exists.
// Usage: node pglite-init.mjs <folder>
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node pglite-init.mjs <folder>');
  process.exit(2);
}
const db = new PGlite(dir);
await db.waitReady;
await db.close();
