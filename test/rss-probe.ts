import { startServer } from '@accord/server';
const dir = process.argv[2]!;
const s = await startServer({ env: { PORT: '0', HOST: '127.0.0.1', ACCORD_DATA_DIR: dir, ACCORD_LOG: 'error', NODE_ENV: 'production' } });
(globalThis as any).gc?.();
await new Promise((r) => setTimeout(r, 1000));
const m = process.memoryUsage();
console.log(`${process.execArgv.filter(a=>a.startsWith('--')&&a!=='--import').join(' ')}: rss ${(m.rss / 1048576).toFixed(0)} heapUsed ${(m.heapUsed / 1048576).toFixed(0)} heapTotal ${(m.heapTotal / 1048576).toFixed(0)} ext ${(m.external/1048576).toFixed(0)}`);
await s.close();
process.exit(0);
