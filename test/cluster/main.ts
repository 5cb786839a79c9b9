/**
 * `npm run cluster -- --nodes 3`: N Accord nodes on one PostgreSQL behind a small load balancer on
 * PORT (default 3000); node i listens on PORT + i. Ctrl-C stops everything.
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/accord_cluster, created if missing);
 *   ACCORD_* variables are passed to every node (ACCORD_TRUST_PROXY=1 is always set).
 */
import { parseArgs } from 'node:util';
import { startCluster, type Cluster } from '../utils/cluster.ts';
import { readClusterEnv } from './env.ts';

function options() {
  try {
    const { values } = parseArgs({ options: { nodes: { type: 'string', default: '3' }, quiet: { type: 'boolean', default: false } } });
    const nodes = Number(values.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 32) throw new Error(`--nodes: must be an integer from 1 to 32 (got ${values.nodes})`);
    return { nodes, quiet: values.quiet, env: readClusterEnv() };
  } catch (e) {
    console.error(`\n${(e as Error).message}\n`);
    process.exit(2);
  }
}
const { nodes, quiet, env } = options();

console.log(`Starting ${nodes} Accord node${nodes > 1 ? 's' : ''} on ${env.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')} …`);
let cluster: Cluster;
try {
  cluster = await startCluster({
    nodes,
    databaseUrl: env.databaseUrl,
    port: env.port,
    host: env.host,
    basePort: env.port + 1,
    env: env.accord,
    onOutput: (i, line) => {
      if (!quiet && line.trim()) console.log(`[node ${i + 1}] ${line}`);
    },
  });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ECONNREFUSED' ? `PostgreSQL is not reachable at DATABASE_URL (${err.message})` : err.message;
  console.error(`\nThe cluster did not start: ${reason}\n`);
  process.exit(1);
}

console.log('');
for (const n of cluster.nodes) console.log(`  node ${n.index + 1}  ${n.url}  (pid ${n.process().child.pid})`);
console.log(`\nAccord cluster is running at ${cluster.url}  (round-robin HTTP, websocket upgrades proxied; Ctrl-C stops all)`);

for (const n of cluster.nodes)
  void n.process().exited.then((code) => {
    if (!stopping) console.error(`node ${n.index + 1} exited (${code ?? 'signal'}); the balancer skips it.`);
  });

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the balancer and ${cluster.nodes.length} nodes…`);
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await cluster.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
