/** `npm start`: one process serving the web app, the REST API and Socket.IO. */
import { DataDirLockedError } from '@accord/db';
import { EnvError } from './env.ts';
import { startServer } from './server.ts';

const t0 = performance.now();
try {
  const server = await startServer();
  const { seed, deps } = server;
  const log = (s = '') => console.log(s);
  if (seed?.kind === 'demo') {
    log('\nDemo workspace created. Sign in with any of these (also saved to ' + seed.file + '):\n');
    for (const l of seed.logins) log(`  ${l.role.padEnd(9)} ${l.email.padEnd(24)} ${l.password}`);
    log();
  } else if (seed?.kind === 'admin') log(`Created the first admin, ${seed.email}.`);
  else if (seed?.kind === 'none') log(`Note: ${seed.reason}`);
  log(`Accord is running at ${server.url}  (database: ${deps.db.kind} ${deps.db.location}; ready in ${Math.round(performance.now() - t0)} ms)`);
  log(`API reference: ${server.url}/api/docs`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: shutting down…`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (e) {
  if (e instanceof EnvError || e instanceof DataDirLockedError) {
    console.error(`\n${e.message}\n`);
    process.exit(2);
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') {
    console.error(`\nThe port is already in use (${err.message}). Set PORT to another port.\n`);
    process.exit(2);
  }
  if (err.code === 'ECONNREFUSED') {
    console.error(`\nCannot reach the database at DATABASE_URL (${err.message}).\n`);
    process.exit(2);
  }
  throw e;
}
