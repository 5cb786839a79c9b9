/** The only reader of process.env for `npm run cluster`. A bad value stops it with a message naming the variable. */

export interface ClusterEnv {
  /** The balancer's port; node i listens on port + i. */
  port: number;
  host: string;
  databaseUrl: string;
  /** ACCORD_* variables, passed on to every node. */
  accord: Record<string, string>;
}

export function readClusterEnv(source: Record<string, string | undefined> = process.env): ClusterEnv {
  const port = Number(source.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65_000) throw new Error(`PORT: must be an integer from 1 to 65000 (got ${source.PORT})`);
  const databaseUrl = source.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/accord_cluster';
  if (!/^postgres(ql)?:\/\/.+\/[^/?]+/.test(databaseUrl)) throw new Error('DATABASE_URL: must look like postgres://user@host:5432/database');
  const accord = Object.fromEntries(Object.entries(source).filter((e): e is [string, string] => e[0].startsWith('ACCORD_') && e[1] !== undefined));
  return { port, host: source.HOST || '127.0.0.1', databaseUrl, accord };
}
