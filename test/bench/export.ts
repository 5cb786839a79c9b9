/**
 * Exports at scale (`npm run bench:export [-- --labels N]`), on PostgreSQL: a generated project of
 * 100,000 items, each with a current consensus label (pairwise, values −3…+3, about one in seven a
 * tie), written with SQL. The server runs as its own process (`main.ts`, as `npm start` does), so its
 * resident memory is its own: sampled from /proc every 20 ms while the DPO export downloads as JSONL,
 * CSV and Parquet; the client reads each stream and throws the bytes away. Prints each download's
 * time, rows/s, size and the server's RSS before and at its peak, and ends with
 * `goal (100,000-label export streams in bounded memory: peak RSS growth < 200 MB): met|NOT met (…)`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openTestDatabase } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { runServerProcess } from '../utils/process.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: a positive whole number, got ${process.argv[i + 1]}`);
  return n;
}

const LABELS = arg('labels', 100_000);
const GOAL_MB = 200;

const tdb = await openTestDatabase('postgres');
if (tdb.options.kind !== 'postgres') throw new Error('bench:export needs PostgreSQL (127.0.0.1:5432)');
const url = tdb.options.url;
const dataDir = mkdtempSync(join(tmpdir(), 'accord-bench-export-'));
const server = runServerProcess({ DATABASE_URL: url, ACCORD_DATA_DIR: dataDir, ACCORD_LOG: 'error' }, 120_000);
const client = new pg.Client({ connectionString: url });
const mb = (bytes: number) => bytes / 1024 / 1024;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** The server process's resident set (VmRSS), in bytes. */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

try {
  const base = await server.ready;
  const pid = server.child.pid!;
  const admin = /admin\s+(\S+@\S+)\s+(\S+)/.exec(server.output());
  if (!admin) throw new Error(`no demo admin login in the server's output:\n${server.output()}`);
  const lead = new ApiClient(base);
  await lead.login(admin[1]!, admin[2]!);
  const project = (await lead.post<{ id: string }>('/api/projects', { name: 'Bench export' })).body.id;
  await client.connect();
  console.log(`bench:export — ${LABELS.toLocaleString('en')} consensus labels (PostgreSQL; the server in its own process)`);

  let t0 = performance.now();
  // Items: a prompt and two responses of 200–1,000 characters; labels: one current label per item.
  await client.query(
    `insert into items (project_id, external_id, prompt, responses, position)
     select $1, 'bench-' || lpad(g::text, 7, '0'), 'Prompt ' || g || ': ' || repeat('why is the sky blue? ', 5 + g % 10),
       jsonb_build_array(
         jsonb_build_object('id', 'r1', 'model', 'model-' || (g % 20), 'kind', 'markdown', 'content', repeat('Rayleigh scattering. ', 10 + g % 40)),
         jsonb_build_object('id', 'r2', 'model', 'model-' || ((g + 7) % 20), 'kind', 'markdown', 'content', repeat('It reflects the sea. ', 10 + (g * 7) % 40))),
       g
     from generate_series(1, $2) g`,
    [project, LABELS],
  );
  await client.query(
    `insert into consensus_labels (project_id, item_id, label, method, agreement, rubric_version, judgments, judgment_ids, committed_at)
     select i.project_id, i.id,
       jsonb_build_object('preference', jsonb_build_object('kind', 'pairwise', 'a', 'r1', 'b', 'r2', 'value', (i.position * 2654435761 % 7) - 3),
                          'scores', jsonb_build_array(jsonb_build_object('dimension', 'overall', 'value', 1 + i.position % 5)), 'spans', '[]'::jsonb),
       case when i.position % 10 = 0 then 'adjudicated' else 'majority' end, 0.6666667, 1, 3, '[]'::jsonb,
       now() - (i.position % 1000) * interval '1 minute'
     from items i where i.project_id = $1`,
    [project],
  );
  await client.query('analyze items');
  await client.query('analyze consensus_labels');
  console.log(`  generated in ${fmt((performance.now() - t0) / 1000)} s`);

  const results: { format: string; growth: number }[] = [];
  for (const format of ['jsonl', 'csv', 'parquet'] as const) {
    const before = rssOf(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
    t0 = performance.now();
    const res = await fetch(`${base}/api/projects/${project}/exports/dpo?format=${format}`, { headers: { cookie: `accord_session=${lead.cookie}` } });
    if (res.status !== 200 || !res.body) throw new Error(`export ${format}: HTTP ${res.status} ${await res.text()}`);
    const rows = Number(res.headers.get('x-export-rows'));
    const firstByte = performance.now() - t0;
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (format !== 'parquet') for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    if (format === 'jsonl' && lines !== rows) throw new Error(`jsonl: ${lines} lines, the header said ${rows} rows`);
    const growth = mb(peak - before);
    results.push({ format, growth });
    console.log(
      `  dpo ${format.padEnd(7)} ${rows.toLocaleString('en')} rows, ${fmt(mb(bytes))} MB in ${fmt(seconds)} s (first byte ${fmt(firstByte)} ms): ` +
        `${Math.round(rows / seconds).toLocaleString('en')} rows/s; server RSS ${fmt(mb(before))} MB before, peak ${fmt(mb(peak))} MB (+${fmt(growth)} MB)`,
    );
  }
  const worst = results.reduce((a, b) => (b.growth > a.growth ? b : a));
  const met = worst.growth < GOAL_MB;
  console.log(
    `goal (100,000-label export streams in bounded memory: peak RSS growth < ${GOAL_MB} MB): ${met ? 'met' : 'NOT met'} (${results.map((r) => `${r.format} +${fmt(r.growth)} MB`).join(', ')}; ${LABELS.toLocaleString('en')} labels)`,
  );
} finally {
  await client.end().catch(() => {});
  await server.stop();
  await tdb.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
